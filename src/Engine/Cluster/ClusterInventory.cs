using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Cluster;

/// <summary>One object ClusterExpose wrote, as found in the cluster: enough to delete exactly it.</summary>
public sealed record ManagedObject(KubeResourceType Type, string Namespace, string Name, string Uid, string ResourceVersion, IReadOnlyList<string> Owners)
{
    /// <summary>A Service published with legacy v1 Endpoints beside its slices.</summary>
    public bool LegacyEndpoints { get; init; }

    /// <summary>The object as read, when it carries both ClusterExpose's label and its owner annotation; otherwise null.</summary>
    public static ManagedObject? From(KubeResourceType type, JsonObject item)
    {
        JsonNode? metadata = item["metadata"];
        string? owners = (string?)metadata?["annotations"]?[ManifestConventions.OwnerAnnotation];
        if ((string?)metadata?["labels"]?[ManifestConventions.ManagedByLabel] != ManifestConventions.ManagedByValue || string.IsNullOrEmpty(owners))
        {
            return null;
        }

        return new ManagedObject(
            type,
            (string?)metadata?["namespace"] ?? string.Empty,
            (string?)metadata?["name"] ?? string.Empty,
            (string?)metadata?["uid"] ?? string.Empty,
            (string?)metadata?["resourceVersion"] ?? string.Empty,
            owners.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            LegacyEndpoints = (string?)metadata?["annotations"]?[ManifestConventions.LegacyEndpointsAnnotation] == "true",
        };
    }

    public override string ToString() => $"{Type} {Namespace}/{Name}";
}

/// <summary>What the cluster holds of ClusterExpose's: the objects and the model they rebuild.</summary>
public sealed class ClusterInventory
{
    public List<ManagedObject> Objects { get; } = new();

    public ImportResult Model { get; } = new();

    /// <summary>
    /// Objects that belong to one exposure (<c>ExposedHost/name</c> in a namespace), the shared k3s
    /// HelmChartConfig included where it names the exposure with its namespace.
    /// </summary>
    public IReadOnlyList<ManagedObject> OwnedBy(string owner, string namespaceName) =>
        Objects.Where(o => o.Type.Kind == KubeKinds.HelmChartConfig
            ? o.Owners.Contains(ManifestConventions.SharedOwnerValue(namespaceName, owner))
            : o.Namespace == namespaceName && o.Owners.Contains(owner)).ToList();

    /// <summary>
    /// Lists what ClusterExpose wrote, by the managed-by label, keeps the objects that also carry the
    /// owner annotation (a label alone is easy to copy by hand), and rebuilds the model from them with
    /// the manifest importer, per namespace. Route kinds are listed for the cluster's own flavor, the
    /// flavors the Services found say they were published in, and <paramref name="flavors"/>: not every
    /// route API the cluster serves, which an account bound by the rendered Role may not read.
    /// </summary>
    public static ClusterInventory Read(ClusterSession session, ClusterRouteApis apis, string? namespaceName, IEnumerable<ExposeFlavor>? flavors = null)
    {
        string selector = $"{ManifestConventions.ManagedByLabel}={ManifestConventions.ManagedByValue}";
        var inventory = new ClusterInventory();
        var documents = new List<(string Namespace, YNode Document)>();
        var read = new HashSet<ExposeFlavor>(flavors ?? Array.Empty<ExposeFlavor>());
        if (apis.PreferredFlavor is { } preferred)
        {
            read.Add(preferred);
        }

        void ListManaged(KubeResourceType type, string? listIn)
        {
            foreach (JsonObject item in session.List(type, listIn, selector))
            {
                // The selector finds the label; the owner annotation is checked too, since a label alone is easy to copy.
                if (ManagedObject.From(type, item) is not { } managed)
                {
                    continue;
                }

                inventory.Objects.Add(managed);
                documents.Add((managed.Namespace, KubeJson.ToTree(item)));
                if (Enum.TryParse((string?)item["metadata"]?["annotations"]?[ManifestConventions.FlavorAnnotation], out ExposeFlavor flavor) && apis.Serves(flavor))
                {
                    read.Add(flavor);
                }
            }
        }

        ListManaged(new KubeResourceType(KubeKinds.Service, "v1"), namespaceName);
        ListManaged(new KubeResourceType(KubeKinds.EndpointSlice, "v1"), namespaceName);
        foreach (KubeResourceType type in apis.RouteTypes(read.OrderBy(f => f)))
        {
            ListManaged(type, namespaceName);
        }

        if (apis.HelmChartConfigs)
        {
            // The entry points of forwarded ports live in kube-system whatever namespace is asked about.
            try
            {
                ListManaged(new KubeResourceType(KubeKinds.HelmChartConfig, "v1"), "kube-system");
            }
            catch (ClusterExposeException exception) when (exception.ErrorId == ErrorIds.ClusterForbidden)
            {
                inventory.Model.Warnings.Add($"The entry points of TCP forwards (HelmChartConfig kube-system/{ManifestConventions.HelmChartConfigName}) were not read: the account may not list helmchartconfigs in kube-system. New-ExposeRoleManifest -EntryPoints grants it.");
            }
        }

        // The importer resolves references within one set; a namespace is one set. The Helm chart
        // config holds the public ports of forwards in every namespace, so each set gets it.
        List<YNode> shared = documents.Where(d => d.Namespace == "kube-system" && d.Document is YMap map && map.Text("kind") == KubeKinds.HelmChartConfig.Kind).Select(d => d.Document).ToList();
        foreach (var group in documents.Where(d => !shared.Contains(d.Document)).GroupBy(d => d.Namespace).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var set = group.Select(d => d.Document).Concat(shared).ToList();
            ImportResult imported = ManifestImporter.Import(set, $"namespace {group.Key} of the cluster at {session.Server}");
            inventory.Model.Resources.AddRange(imported.Resources);
            inventory.Model.Warnings.AddRange(imported.Warnings.Where(w => !w.Contains("HelmChartConfig", StringComparison.Ordinal)));
            inventory.Model.Errors.AddRange(imported.Errors);
        }

        return inventory;
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Cluster;

/// <summary>One object on its way to the cluster, with what the dry run said would happen to it.</summary>
public sealed class PublishItem
{
    internal PublishItem(KubeResourceType type, string namespaceName, string name, string body, string? owner)
    {
        Type = type;
        Namespace = namespaceName;
        Name = name;
        Body = body;
        Owner = owner;
    }

    public KubeResourceType Type { get; }

    public string Namespace { get; }

    public string Name { get; }

    /// <summary>
    /// The object exactly as rendered (or read from the file), as JSON: the apply body. For the shared
    /// k3s HelmChartConfig, the dry run replaces it with the live values merged in.
    /// </summary>
    public string Body { get; internal set; }

    public string? Owner { get; internal set; }

    public PublishAction Action { get; internal set; }

    /// <summary>Paths of the fields the apply changes (for an update), from the object now and the dry run's answer.</summary>
    public IReadOnlyList<string> ChangedFields { get; internal set; } = Array.Empty<string>();

    public override string ToString() => $"{Type} {Namespace}/{Name}";
}

/// <summary>
/// Publishes with server-side apply in two passes: every object is first applied with
/// <c>dryRun=All</c>, which runs the server's whole validation and admission without persisting, and
/// only when all of them pass is anything written. The dry run's answer, compared with the object as
/// it is, gives the plan that -WhatIf shows.
/// </summary>
public static class ClusterPublisher
{
    private static readonly string[] ServerOwnedMetadata =
    {
        "managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink",
    };

    /// <summary>Turns rendered or read documents into items; an object of a kind ClusterExpose does not write is an error.</summary>
    public static IReadOnlyList<PublishItem> Prepare(IEnumerable<YMap> objects, string defaultNamespace, string source, List<ExposeProblem> errors)
    {
        var items = new List<PublishItem>();
        foreach (YMap root in objects)
        {
            string? apiVersion = root.Text("apiVersion");
            string? kind = root.Text("kind");
            string? name = root.Text("metadata", "name");
            string described = $"{kind ?? "?"} {name ?? "?"} ({source})";
            if (!KubeResourceType.TrySplitApiVersion(apiVersion, out string group, out string version) || kind is null || string.IsNullOrEmpty(name))
            {
                errors.Add(new ExposeProblem(ErrorIds.ManifestInvalidObject, ExposeErrorKind.InvalidData,
                    $"{described} has no apiVersion, kind or metadata.name.", described));
                continue;
            }

            if (!KubeKinds.TryFind(group, kind, out KubeKind known))
            {
                errors.Add(new ExposeProblem(ErrorIds.UnsupportedKind, ExposeErrorKind.InvalidArgument,
                    $"{described}: ClusterExpose publishes only the kinds it renders ({string.Join(", ", KubeKinds.All.Select(k => k.Kind).Distinct())}); use kubectl for {apiVersion} {kind}.",
                    described, "Leave that object out, or apply it with kubectl."));
                continue;
            }

            string namespaceName = root.Text("metadata", "namespace") ?? defaultNamespace;
            string? owner = root.Text("metadata", "annotations", ManifestConventions.OwnerAnnotation);
            items.Add(new PublishItem(new KubeResourceType(known, version), namespaceName, name, KubeJson.Write(root), owner));
        }

        return items;
    }

    /// <summary>Applies one item with dryRun=All and records what the real apply would do. Throws what the server refuses.</summary>
    public static void DryRun(ClusterSession session, PublishItem item, bool force)
    {
        JsonObject? existing = session.Get(item.Type, item.Namespace, item.Name);
        bool shared = item.Type.Kind == KubeKinds.HelmChartConfig;
        if (shared && existing is not null)
        {
            SharedEntryPoints.MergeForPublish(item, existing, holder => OwnerExists(session, holder), force);
        }
        else if (shared)
        {
            SharedEntryPoints.MarkCreated(item);
        }

        JsonObject answer;
        try
        {
            answer = session.Apply(item.Type, item.Namespace, item.Name, item.Body, dryRun: true, force);
        }
        catch (ClusterExposeException conflict) when (shared && conflict.ErrorId == ErrorIds.ClusterFieldConflict)
        {
            throw SharedValuesOwnedElsewhere(item, conflict);
        }

        if (existing is null)
        {
            item.Action = PublishAction.Create;
            return;
        }

        item.ChangedFields = ChangedFields(existing, answer);
        item.Action = item.ChangedFields.Count == 0 ? PublishAction.Unchanged : PublishAction.Update;
    }

    /// <summary>
    /// Whether the owner an entry point was declared by (<c>namespace/Kind/name</c>) still exists: its
    /// Service is there and still names it. Null when that cannot be told (the account may not read
    /// Services in that namespace, or the owner is not written that way).
    /// </summary>
    internal static bool? OwnerExists(ClusterSession session, string holder)
    {
        string[] parts = holder.Split('/');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var services = new KubeResourceType(KubeKinds.Service, "v1");
            JsonObject? service = session.Get(services, parts[0], parts[2]);
            return service is not null && ManagedObject.From(services, service) is { } managed
                && managed.Owners.Contains(parts[1] + "/" + parts[2]);
        }
        catch (ClusterExposeException exception) when (exception.ErrorId is ErrorIds.ClusterForbidden or ErrorIds.ClusterNamespaceNotFound)
        {
            return exception.ErrorId == ErrorIds.ClusterNamespaceNotFound ? false : null;
        }
    }

    /// <summary>
    /// The k3s HelmChartConfig's values were applied by someone else (kubectl, a GitOps tool): the one
    /// string field spec.valuesContent is theirs, so server-side apply refuses to change it without
    /// force. Says what publishing would do to their values, which is merge, not replace.
    /// </summary>
    private static ClusterExposeException SharedValuesOwnedElsewhere(PublishItem item, ClusterExposeException conflict)
    {
        string managers = string.Join(", ", System.Text.RegularExpressions.Regex.Matches(conflict.Message, "conflict with \"([^\"]+)\"")
            .Select(m => m.Groups[1].Value).Distinct());
        return new ClusterExposeException(ErrorIds.ClusterFieldConflict, ExposeErrorKind.InvalidOperation,
            $"spec.valuesContent of {item} is managed by {(managers.Length == 0 ? "another field manager" : managers)}: those are Traefik's chart values someone applied themselves. "
            + "Publishing merges this forward's entry point into them and keeps every other value as it is, but taking the field over needs -Force.",
            item.ToString(),
            "Publish again with -Force (nothing of the existing values is lost; the other manager no longer owns the field), or add the forward with Add-TcpForward -Mode LoadBalancer, which needs no entry point.",
            conflict);
    }

    public static JsonObject Apply(ClusterSession session, PublishItem item, bool force) =>
        session.Apply(item.Type, item.Namespace, item.Name, item.Body, dryRun: false, force);

    /// <summary>Paths where two versions of an object differ, leaving out what only the server writes.</summary>
    public static IReadOnlyList<string> ChangedFields(JsonObject before, JsonObject after)
    {
        var changed = new List<string>();
        Compare(Strip(before), Strip(after), string.Empty, changed);
        return changed;
    }

    private static JsonObject Strip(JsonObject source)
    {
        var copy = (JsonObject)source.DeepClone();
        copy.Remove("status");
        if (copy["metadata"] is JsonObject metadata)
        {
            foreach (string field in ServerOwnedMetadata)
            {
                metadata.Remove(field);
            }
        }

        return copy;
    }

    private static void Compare(JsonNode? before, JsonNode? after, string path, List<string> changed)
    {
        if (before is JsonObject beforeMap && after is JsonObject afterMap)
        {
            foreach (string key in beforeMap.Select(e => e.Key).Union(afterMap.Select(e => e.Key)).OrderBy(k => k, StringComparer.Ordinal))
            {
                Compare(beforeMap[key], afterMap[key], path.Length == 0 ? key : path + "." + key, changed);
            }

            return;
        }

        if (!JsonNode.DeepEquals(before, after))
        {
            changed.Add(path);
        }
    }
}

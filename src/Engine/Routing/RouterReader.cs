using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Rules;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Routing;

/// <summary>Routers read from somewhere, with what was skipped and what failed.</summary>
public sealed class RouterReading
{
    public List<RouterDefinition> Routers { get; } = new();

    public List<string> Warnings { get; } = new();

    public List<ExposeProblem> Errors { get; } = new();
}

/// <summary>A Traefik route object as found, before the Traefik version that reads it is known.</summary>
public sealed class TraefikRouteObject
{
    internal TraefikRouteObject(YMap root, string group, string kind, string? file, string source)
    {
        Root = root;
        Group = group;
        Kind = kind;
        File = file;
        Source = source;
    }

    internal YMap Root { get; }

    public string Group { get; }

    public string Kind { get; }

    /// <summary>The manifest file, or null for objects rendered from the model.</summary>
    public string? File { get; }

    /// <summary>Where the object is: file and line, or the model object it was rendered from.</summary>
    public string Source { get; }

    /// <summary>Where one of its routes is: the route's own line when it came from a file.</summary>
    internal string SourceOf(YNode routeEntry) =>
        File is not null && routeEntry.Line > 0 ? $"{File}:{routeEntry.Line.ToString(CultureInfo.InvariantCulture)}" : Source;
}

/// <summary>
/// Turns IngressRoute and IngressRouteTCP objects (anyone's, not only ClusterExpose's) into
/// <see cref="RouterDefinition"/>s, one per route, as Traefik's CRD provider does. Model objects go
/// through <see cref="ManifestBuilder"/> first, so what is checked is exactly what would be applied.
/// </summary>
public static class RouterReader
{
    private const string IngressRouteKind = "IngressRoute";
    private const string IngressRouteTcpKind = "IngressRouteTCP";

    /// <summary>
    /// The Traefik route objects among documents read from <paramref name="source"/> (a file, whose
    /// objects are found by line, or a cluster, whose objects are found by name); other kinds are left
    /// to the manifest importer.
    /// </summary>
    public static IReadOnlyList<TraefikRouteObject> FindRouteObjects(IReadOnlyList<YNode> documents, string source)
    {
        var found = new List<TraefikRouteObject>();
        foreach (YMap root in Flatten(documents))
        {
            bool fromFile = root.Line > 0;
            string where = fromFile ? $"{source}:{root.Line}" : $"{source}: {root.Text("metadata", "namespace") ?? "default"}/{root.Text("metadata", "name")}";
            if (AsRouteObject(root, fromFile ? source : null, where) is { } route)
            {
                found.Add(route);
            }
        }

        return found;
    }

    /// <summary>Renders model objects with <see cref="ManifestBuilder"/> and finds the route objects in the result.</summary>
    public static IReadOnlyList<TraefikRouteObject> FromResources(IReadOnlyList<IExposeResource> resources, RouterReading into, bool forLocalForwarding = false, bool routingOnly = false)
    {
        // Gateway API objects are checked as the Traefik routes Traefik's own provider would build from them.
        var asTraefik = resources.Select(AsTraefik).ToList();
        IReadOnlyList<YDocument> documents = ManifestBuilder.Build(asTraefik, new ManifestOptions { ForLocalForwarding = forLocalForwarding, ForRoutingOnly = routingOnly }, out IReadOnlyList<ExposeProblem> errors);
        into.Errors.AddRange(errors);
        var found = new List<TraefikRouteObject>();
        foreach (YDocument document in documents)
        {
            TraefikRouteObject? route = AsRouteObject(document.Root, null, DescribeOwner(document.Root));
            if (route is not null)
            {
                found.Add(route);
            }
        }

        return found;
    }

    /// <summary>The Traefik version that would read these objects when the user does not say: v2 only when everything says v2.</summary>
    /// <remarks>Files say v2 by the traefik.containo.us group; model objects by their TraefikV2 flavor.</remarks>
    public static TraefikVersion InferVersion(IEnumerable<TraefikRouteObject> fileRoutes, IEnumerable<IExposeResource> resources)
    {
        var files = fileRoutes.ToList();
        var models = resources.ToList();
        bool anything = files.Count > 0 || models.Count > 0;
        bool allV2 = files.All(r => r.Group == ManifestConventions.LegacyTraefikApiGroup)
            && models.All(r => r is ExposedHost { Flavor: ExposeFlavor.TraefikV2 } or TcpForward { Flavor: ExposeFlavor.TraefikV2 });
        return anything && allV2 ? TraefikVersion.V2 : TraefikVersion.V3;
    }

    /// <summary>One router per route, read as Traefik <paramref name="version"/> reads them.</summary>
    public static void ReadRouters(IEnumerable<TraefikRouteObject> routes, TraefikVersion version, RouterReading into)
    {
        foreach (TraefikRouteObject route in routes)
        {
            if (version == TraefikVersion.V3 && route.Group == ManifestConventions.LegacyTraefikApiGroup)
            {
                into.Warnings.Add($"{route.Kind} at {route.Source} uses the API group {route.Group}, which Traefik v3 no longer reads; it routes nothing there. Use traefik.io/v1alpha1.");
                continue;
            }

            ReadRoutes(route, version, into);
        }
    }

    private static void ReadRoutes(TraefikRouteObject route, TraefikVersion version, RouterReading into)
    {
        YMap root = route.Root;
        YMap? metadata = root.Map("metadata");
        string name = metadata?.Text("name") ?? "(unnamed)";
        string ns = metadata?.Text("namespace") ?? ExposedHost.DefaultNamespace;
        YMap? spec = root.Map("spec");
        YSequence? routes = spec?.Sequence("routes");
        if (spec is null || routes is null || routes.Count == 0)
        {
            into.Warnings.Add($"{route.Kind} '{ns}/{name}' at {route.Source} has no routes.");
            return;
        }

        var entryPoints = spec.Sequence("entryPoints")?.OfType<YScalar>().Select(s => s.Value).ToList() ?? new List<string>();
        bool tcp = route.Kind == IngressRouteTcpKind;
        YMap? tlsSection = spec.Map("tls");
        RouterTls tls = tlsSection is null && spec["tls"] is null ? RouterTls.None
            : tcp && tlsSection?.Text("passthrough") == "true" ? RouterTls.Passthrough
            : RouterTls.Terminate;
        for (int i = 0; i < routes.Count; i++)
        {
            if (routes[i] is not YMap entry)
            {
                continue;
            }

            string rule = entry.Text("match") ?? string.Empty;
            string? declared = entry.Text("syntax");
            RuleSyntax syntax = version == TraefikVersion.V2 || string.Equals(declared, "v2", StringComparison.OrdinalIgnoreCase) ? RuleSyntax.V2 : RuleSyntax.V3;
            int priority = entry["priority"] is YScalar p && p.TryGetInt(out int value) ? value : 0;
            var services = entry.Sequence("services")?.OfType<YMap>().ToList() ?? new List<YMap>();
            string? service = services.Count == 0 ? null : string.Join(", ", services.Select(s => s.Text("name") ?? "?"));
            int? port = services.Count > 0 && services[0]["port"] is YScalar portScalar && portScalar.TryGetInt(out int portValue) ? portValue : null;
            string routerName = $"{ns}/{name}" + (routes.Count > 1 ? "#" + (i + 1).ToString(CultureInfo.InvariantCulture) : string.Empty);
            string source = route.SourceOf(entry);
            var middlewares = entry.Sequence("middlewares")?.OfType<YMap>().Select(m => m.Text("name") ?? "?").ToList() ?? new List<string>();
            into.Routers.Add(new RouterDefinition(routerName, tcp ? RouterProtocol.Tcp : RouterProtocol.Http, entryPoints, rule, syntax, priority, tls, service, port, source) { Middlewares = middlewares });
        }
    }

    private static TraefikRouteObject? AsRouteObject(YMap root, string? file, string source)
    {
        string apiVersion = root.Text("apiVersion") ?? string.Empty;
        string kind = root.Text("kind") ?? string.Empty;
        string group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion.Substring(0, apiVersion.IndexOf('/')) : string.Empty;
        bool traefik = group == ManifestConventions.TraefikApiGroup || group == ManifestConventions.LegacyTraefikApiGroup;
        return traefik && kind is IngressRouteKind or IngressRouteTcpKind ? new TraefikRouteObject(root, group, kind, file, source) : null;
    }

    /// <summary>Documents, with <c>kind: List</c> objects opened up as kubectl get -o yaml writes them.</summary>
    private static IEnumerable<YMap> Flatten(IEnumerable<YNode> documents)
    {
        foreach (YNode document in documents)
        {
            if (document is not YMap map)
            {
                continue;
            }

            if (map.Text("kind") == "List" && map.Sequence("items") is YSequence items)
            {
                foreach (YMap item in items.OfType<YMap>())
                {
                    yield return item;
                }
            }
            else
            {
                yield return map;
            }
        }
    }

    private static string DescribeOwner(YMap root) =>
        root.Map("metadata")?.Map("annotations")?.Text(ManifestConventions.OwnerAnnotation) is string owner ? owner : root.Map("metadata")?.Text("name") ?? "(model)";

    private static IExposeResource AsTraefik(IExposeResource resource) =>
        resource.Flavor == ExposeFlavor.GatewayApi ? Cluster.ModelRetarget.WithFlavor(resource, ExposeFlavor.TraefikV3) : resource;
}

using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Cluster;

/// <summary>
/// Every IngressRoute and IngressRouteTCP of a cluster, in every namespace and whoever made them:
/// Traefik routes with all of them, so Test-SniRoute must see all of them too. Serving them adds the
/// Services they name and those Services' EndpointSlices, which say where each route leads.
/// </summary>
public static class ClusterRoutes
{
    private static readonly string[] RouteKinds = { "IngressRoute", "IngressRouteTCP" };

    /// <summary>The cluster's routes, as a source of routers; with <paramref name="withBackends"/>, where they lead too.</summary>
    public static RouteSource Read(ClusterSession session, ClusterRouteApis apis, bool withBackends)
    {
        var roots = new List<YMap>();
        foreach (var (served, group) in new[] { (apis.TraefikIo, ManifestConventions.TraefikApiGroup), (apis.TraefikContainous, ManifestConventions.LegacyTraefikApiGroup) })
        {
            if (!served)
            {
                continue;
            }

            foreach (string kind in RouteKinds)
            {
                var type = new KubeResourceType(KubeKinds.Traefik(group, kind), ManifestConventions.TraefikApiVersion);
                roots.AddRange(session.List(type, null, null).Select(item => KubeJson.ToTree(item)).OfType<YMap>());
            }
        }

        var objects = new List<YNode>(roots);
        var backendWarnings = new List<string>();
        if (withBackends)
        {
            objects.AddRange(NamedServices(session, roots, backendWarnings));
        }

        RouteSource source = RouteSource.FromObjects(objects, session.Server);
        source.BackendWarnings.AddRange(backendWarnings);
        return source;
    }

    /// <summary>
    /// The Services the routes name, and their EndpointSlices, listed per namespace the routes live in
    /// (a route names Services of its own namespace only); nothing else, so that the cluster's other
    /// Services are not reported as skipped.
    /// </summary>
    private static IEnumerable<YNode> NamedServices(ClusterSession session, IReadOnlyList<YMap> routes, List<string> warnings)
    {
        var named = routes
            .SelectMany(r => (r.Map("spec")?.Sequence("routes") ?? new YSequence()).OfType<YMap>()
                .SelectMany(route => (route.Sequence("services") ?? new YSequence()).OfType<YMap>())
                .Where(service => service.Text("kind") is null or "Service")
                .Select(service => (Namespace: r.Text("metadata", "namespace") ?? ExposedHost.DefaultNamespace, Name: service.Text("name") ?? string.Empty)))
            .ToHashSet();
        var found = new List<YNode>();
        foreach (string namespaceName in named.Select(n => n.Namespace).Distinct().OrderBy(n => n, System.StringComparer.Ordinal))
        {
            try
            {
                found.AddRange(session.List(new KubeResourceType(KubeKinds.Service, "v1"), namespaceName, null)
                    .Select(item => KubeJson.ToTree(item)).OfType<YMap>()
                    .Where(service => named.Contains((namespaceName, service.Text("metadata", "name") ?? string.Empty))));
                found.AddRange(session.List(new KubeResourceType(KubeKinds.EndpointSlice, "v1"), namespaceName, null)
                    .Select(item => KubeJson.ToTree(item)).OfType<YMap>()
                    .Where(slice => named.Contains((namespaceName, slice.Text("metadata", "labels", ManifestConventions.ServiceNameLabel) ?? string.Empty))));
            }
            catch (ClusterExposeException exception) when (exception.ErrorId is ErrorIds.ClusterForbidden)
            {
                warnings.Add($"The Services of namespace {namespaceName} were not read ({exception.Message}); its routes lead nowhere. New-ExposeRoleManifest -ReadAllRoutes grants reading them.");
            }
        }

        return found;
    }
}

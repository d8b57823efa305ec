using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Cluster;

/// <summary>
/// Every IngressRoute and IngressRouteTCP of a cluster, in every namespace and whoever made them:
/// Traefik routes with all of them, so Test-SniRoute must see all of them too.
/// </summary>
public static class ClusterRoutes
{
    public static IReadOnlyList<TraefikRouteObject> Read(ClusterSession session, ClusterRouteApis apis)
    {
        var roots = new List<YMap>();
        foreach (var (served, group) in new[] { (apis.TraefikIo, ManifestConventions.TraefikApiGroup), (apis.TraefikContainous, ManifestConventions.LegacyTraefikApiGroup) })
        {
            if (!served)
            {
                continue;
            }

            foreach (string kind in new[] { "IngressRoute", "IngressRouteTCP" })
            {
                var type = new KubeResourceType(KubeKinds.Traefik(group, kind), ManifestConventions.TraefikApiVersion);
                roots.AddRange(session.List(type, null, null).Select(item => KubeJson.ToTree(item)).OfType<YMap>());
            }
        }

        return RouterReader.FromObjects(roots, session.Server);
    }
}

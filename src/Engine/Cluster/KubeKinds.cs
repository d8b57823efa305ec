using System;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose.Engine.Cluster;

/// <summary>One kind ClusterExpose reads or writes: where it lives in the API and how its collection is named.</summary>
public sealed record KubeKind(string Group, string Kind, string Plural, bool Namespaced = true)
{
    public bool IsCore => Group.Length == 0;

    public override string ToString() => IsCore ? Plural : Plural + "." + Group;
}

/// <summary>A kind at one version: what a request path needs.</summary>
public sealed record KubeResourceType(KubeKind Kind, string Version)
{
    public string Group => Kind.Group;

    public string ApiVersion => Kind.IsCore ? Version : Kind.Group + "/" + Version;

    public override string ToString() => Kind.ToString();

    public static bool TrySplitApiVersion(string? apiVersion, out string group, out string version)
    {
        group = string.Empty;
        version = string.Empty;
        if (string.IsNullOrEmpty(apiVersion))
        {
            return false;
        }

        int slash = apiVersion.IndexOf('/');
        if (slash < 0)
        {
            version = apiVersion;
            return true;
        }

        group = apiVersion[..slash];
        version = apiVersion[(slash + 1)..];
        return group.Length > 0 && version.Length > 0 && version.IndexOf('/') < 0;
    }
}

/// <summary>
/// The kinds ClusterExpose renders (and so may apply, list and delete). A closed list on purpose:
/// publishing an arbitrary kind from a manifest file is refused, and the rendered RBAC rules name
/// exactly these.
/// </summary>
public static class KubeKinds
{
    public static readonly KubeKind Service = new("", "Service", "services");
    public static readonly KubeKind Endpoints = new("", "Endpoints", "endpoints");
    public static readonly KubeKind ConfigMap = new("", "ConfigMap", "configmaps");
    public static readonly KubeKind EndpointSlice = new("discovery.k8s.io", "EndpointSlice", "endpointslices");
    public static readonly KubeKind DaemonSet = new("apps", "DaemonSet", "daemonsets");
    public static readonly KubeKind HelmChartConfig = new("helm.cattle.io", "HelmChartConfig", "helmchartconfigs");

    private static readonly KubeKind[] Fixed =
    {
        Service, Endpoints, ConfigMap, EndpointSlice, DaemonSet, HelmChartConfig,
    };

    private static readonly string[] TraefikKinds = { "IngressRoute", "IngressRouteTCP", "ServersTransportTCP" };
    private static readonly string[] GatewayKinds = { "HTTPRoute", "TLSRoute", "TCPRoute" };

    public static IEnumerable<KubeKind> All
    {
        get
        {
            foreach (KubeKind kind in Fixed)
            {
                yield return kind;
            }

            foreach (string group in new[] { Manifests.ManifestConventions.TraefikApiGroup, Manifests.ManifestConventions.LegacyTraefikApiGroup })
            {
                foreach (string kind in TraefikKinds)
                {
                    yield return Traefik(group, kind);
                }
            }

            foreach (string kind in GatewayKinds)
            {
                yield return Gateway(kind);
            }
        }
    }

    public static KubeKind Traefik(string group, string kind) => new(group, kind, kind.ToLowerInvariant() + "s");

    public static KubeKind Gateway(string kind) => new(Manifests.ManifestConventions.GatewayApiGroup, kind, kind.ToLowerInvariant() + "s");

    /// <summary>
    /// The route kinds one flavor writes, and so reads back and deletes: the one list behind both the
    /// cluster readers and the rendered RBAC Role, so an account bound by that Role may do all that the
    /// cmdlets do for the flavor. Traefik v2 has no ServersTransportTCP (its PROXY protocol sits on the
    /// route's service); <paramref name="legacyTraefikGroup"/> is v2 before 2.10, traefik.containo.us.
    /// </summary>
    public static IReadOnlyList<KubeKind> RouteKinds(ExposeFlavor flavor, bool legacyTraefikGroup = false)
    {
        string traefikGroup = flavor == ExposeFlavor.TraefikV2 && legacyTraefikGroup
            ? Manifests.ManifestConventions.LegacyTraefikApiGroup
            : Manifests.ManifestConventions.TraefikApiGroup;
        return flavor switch
        {
            ExposeFlavor.TraefikV3 => TraefikKinds.Select(kind => Traefik(traefikGroup, kind)).ToList(),
            ExposeFlavor.TraefikV2 => TraefikKinds.Where(kind => kind != "ServersTransportTCP").Select(kind => Traefik(traefikGroup, kind)).ToList(),
            _ => GatewayKinds.Select(Gateway).ToList(),
        };
    }

    public static bool TryFind(string group, string kind, out KubeKind found)
    {
        foreach (KubeKind candidate in All)
        {
            if (candidate.Group == group && string.Equals(candidate.Kind, kind, StringComparison.Ordinal))
            {
                found = candidate;
                return true;
            }
        }

        found = null!;
        return false;
    }
}

using System;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose.FakeKubeApi;

/// <summary>One resource the fake serves: where, under which names.</summary>
public sealed record ServedResource(string Group, string Version, string Plural, string Kind, bool Namespaced = true)
{
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    public string Qualified => Group.Length == 0 ? Plural : Plural + "." + Group;

    /// <summary>A kind a CRD defines: its lists start with apiVersion and carry metadata.continue.</summary>
    public bool IsCustom => Group is not ("" or "discovery.k8s.io" or "apps");

    /// <summary>Kinds whose metadata.generation the server sets (custom resources and EndpointSlices).</summary>
    public bool IsCustomOrSlice => IsCustom || Group == "discovery.k8s.io";
}

/// <summary>Which sets of CRDs the fake cluster has installed, as a real cluster would have them.</summary>
[Flags]
public enum FakeRouteApis
{
    None = 0,
    /// <summary>Traefik v3.7's CRDs: traefik.io only.</summary>
    TraefikV3 = 1,
    /// <summary>Traefik v2 before 2.10: traefik.containo.us only.</summary>
    TraefikV2Legacy = 2,
    /// <summary>Gateway API v1.6 (TLSRoute and TCPRoute at v1).</summary>
    GatewayV1 = 4,
    /// <summary>An older Gateway API: TLSRoute and TCPRoute only at v1alpha2.</summary>
    GatewayV1Alpha2 = 8,
    /// <summary>k3s's Helm controller (HelmChartConfig).</summary>
    K3sHelm = 16,
    /// <summary>Traefik v2.10 and v2.11's CRDs: both groups, and no ServersTransportTCP (a v3 kind) in traefik.io.</summary>
    TraefikV2 = 32,
}

public static class ApiCatalog
{
    public static IReadOnlyList<ServedResource> Build(FakeRouteApis apis)
    {
        var served = new List<ServedResource>
        {
            new("", "v1", "namespaces", "Namespace", Namespaced: false),
            new("", "v1", "services", "Service"),
            new("", "v1", "endpoints", "Endpoints"),
            new("", "v1", "configmaps", "ConfigMap"),
            new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
            new("apps", "v1", "daemonsets", "DaemonSet"),
        };
        // Every kind each Traefik release's CRDs define, as the recorded discovery documents list them:
        // v2.10 and v2.11 define the same set in both groups, without v3's ServersTransportTCP.
        if (apis.HasFlag(FakeRouteApis.TraefikV3) || apis.HasFlag(FakeRouteApis.TraefikV2))
        {
            served.AddRange(TraefikKinds("traefik.io", withServersTransportTcp: apis.HasFlag(FakeRouteApis.TraefikV3)));
        }

        if (apis.HasFlag(FakeRouteApis.TraefikV2Legacy) || apis.HasFlag(FakeRouteApis.TraefikV2))
        {
            served.AddRange(TraefikKinds("traefik.containo.us", withServersTransportTcp: false));
        }

        if (apis.HasFlag(FakeRouteApis.GatewayV1) || apis.HasFlag(FakeRouteApis.GatewayV1Alpha2))
        {
            served.Add(new("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute"));
            served.Add(new("gateway.networking.k8s.io", "v1alpha2", "tlsroutes", "TLSRoute"));
            served.Add(new("gateway.networking.k8s.io", "v1alpha2", "tcproutes", "TCPRoute"));
            if (apis.HasFlag(FakeRouteApis.GatewayV1))
            {
                served.Add(new("gateway.networking.k8s.io", "v1", "tlsroutes", "TLSRoute"));
                served.Add(new("gateway.networking.k8s.io", "v1", "tcproutes", "TCPRoute"));
            }
        }

        if (apis.HasFlag(FakeRouteApis.K3sHelm))
        {
            served.Add(new("helm.cattle.io", "v1", "helmchartconfigs", "HelmChartConfig"));
        }

        return served;
    }

    private static IEnumerable<ServedResource> TraefikKinds(string group, bool withServersTransportTcp)
    {
        string[] kinds =
        {
            "IngressRoute", "IngressRouteTCP", "IngressRouteUDP", "Middleware", "MiddlewareTCP", "ServersTransport",
            "ServersTransportTCP", "TLSOption", "TLSStore", "TraefikService",
        };
        return kinds.Where(k => withServersTransportTcp || k != "ServersTransportTCP")
            .Select(k => new ServedResource(group, "v1alpha1", k.ToLowerInvariant() + "s", k));
    }

    public static IEnumerable<(string Group, IReadOnlyList<string> Versions)> Groups(IReadOnlyList<ServedResource> served) =>
        served.Where(r => r.Group.Length > 0)
            .GroupBy(r => r.Group)
            .Select(g => (g.Key, (IReadOnlyList<string>)g.Select(r => r.Version).Distinct().OrderBy(v => v == "v1" ? 0 : 1).ToList()));
}

using System;
using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Cluster;

/// <summary>Which route APIs a cluster serves, and so which flavor to render for it.</summary>
public sealed class ClusterRouteApis
{
    public bool TraefikIo { get; init; }

    public bool TraefikContainous { get; init; }

    /// <summary>
    /// traefik.io serves ServersTransportTCP, a kind that came with Traefik v3.0: the CRDs are v3's, so
    /// a traefik.containo.us beside them is left over from the v2 the cluster ran before.
    /// </summary>
    public bool TraefikV3Crds { get; init; }

    /// <summary>k3s's Helm controller: where the entry points of forwarded ports are declared.</summary>
    public bool HelmChartConfigs { get; init; }

    /// <summary>The version that serves TLSRoute and TCPRoute, or null when the Gateway API is not installed.</summary>
    public GatewayRouteVersion? Gateway { get; init; }

    /// <summary>
    /// Traefik v3 serves only traefik.io; v2.10 and v2.11 serve both groups, older v2 only
    /// traefik.containo.us. Both groups with v3's CRDs in traefik.io is a v3 whose v2 CRDs were never
    /// deleted (an upgrade keeps them). Traefik wins over the Gateway API when both are there, since a
    /// k3s cluster has Traefik whatever else is installed.
    /// </summary>
    public ExposeFlavor? PreferredFlavor =>
        TraefikIo && TraefikV3Crds ? ExposeFlavor.TraefikV3
        : TraefikContainous ? ExposeFlavor.TraefikV2
        : TraefikIo ? ExposeFlavor.TraefikV3
        : Gateway is not null ? ExposeFlavor.GatewayApi
        : null;

    /// <summary>
    /// The resources (plural names) each Traefik API group serves at v1alpha1, as its group-version
    /// document lists them. An upgraded cluster serves traefik.containo.us beside traefik.io, and the
    /// old group has no serverstransporttcps: a list of a kind that is not served is a 404.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyCollection<string>> TraefikResources { get; init; } = new Dictionary<string, IReadOnlyCollection<string>>();

    /// <summary>Whether the cluster serves this kind (core and discovery kinds always; HelmChartConfig with k3s's Helm controller).</summary>
    public bool ServesKind(KubeKind kind) => kind.Group switch
    {
        "" or "discovery.k8s.io" or "apps" => true,
        "helm.cattle.io" => HelmChartConfigs,
        ManifestConventions.GatewayApiGroup => Gateway is not null,
        _ => TraefikResources.TryGetValue(kind.Group, out IReadOnlyCollection<string>? served) && served.Contains(kind.Plural),
    };

    /// <summary>The Traefik group the chosen flavor writes to on this cluster (v2 before 2.10 has only the old one).</summary>
    public bool LegacyGroupFor(ExposeFlavor flavor) => flavor == ExposeFlavor.TraefikV2 && TraefikContainous && !TraefikIo;

    /// <summary>
    /// The route kinds of these flavors that the cluster serves, each once, at the version to read it
    /// with: each flavor's own list (the one the rendered Role grants), less what its group does not serve.
    /// </summary>
    public IReadOnlyList<KubeResourceType> RouteTypes(IEnumerable<ExposeFlavor> flavors)
    {
        var types = new List<KubeResourceType>();
        foreach (ExposeFlavor flavor in flavors.Distinct())
        {
            foreach (KubeKind kind in KubeKinds.RouteKinds(flavor, LegacyGroupFor(flavor)).Where(ServesKind))
            {
                string version = kind.Group != ManifestConventions.GatewayApiGroup ? ManifestConventions.TraefikApiVersion
                    : kind.Kind == "HTTPRoute" || Gateway == GatewayRouteVersion.V1 ? "v1"
                    : "v1alpha2";
                if (!types.Any(t => t.Kind == kind))
                {
                    types.Add(new KubeResourceType(kind, version));
                }
            }
        }

        return types;
    }

    public bool Serves(ExposeFlavor flavor) => flavor switch
    {
        ExposeFlavor.TraefikV3 => TraefikIo,
        ExposeFlavor.TraefikV2 => TraefikIo || TraefikContainous,
        ExposeFlavor.GatewayApi => Gateway is not null,
        _ => false,
    };

    /// <summary>
    /// Whether objects of this flavor fit the cluster as they are: served, and for v3 no sign of an
    /// older Traefik (only Traefik v2 serves traefik.containo.us; v2.10 and v2.11 serve traefik.io too)
    /// unless traefik.io holds v3's CRDs; for v2, no v3 CRDs.
    /// </summary>
    public bool Suits(ExposeFlavor flavor) => Serves(flavor) && flavor switch
    {
        ExposeFlavor.TraefikV3 => TraefikV3Crds || !TraefikContainous,
        ExposeFlavor.TraefikV2 => !TraefikV3Crds,
        _ => true,
    };

    public string Describe()
    {
        var found = new List<string>();
        if (TraefikIo)
        {
            found.Add(ManifestConventions.TraefikApiGroup);
        }

        if (TraefikContainous)
        {
            found.Add(ManifestConventions.LegacyTraefikApiGroup);
        }

        if (Gateway is not null)
        {
            found.Add($"{ManifestConventions.GatewayApiGroup} ({(Gateway == GatewayRouteVersion.V1 ? "v1" : "v1alpha2")} TLSRoute/TCPRoute)");
        }

        return found.Count == 0 ? "no route API" : string.Join(", ", found);
    }

    /// <summary>The options a publish to this cluster renders with, for the chosen flavor.</summary>
    public ManifestOptions OptionsFor(ExposeFlavor flavor, ManifestOptions? template = null)
    {
        ManifestOptions options = template ?? new ManifestOptions();
        options.LegacyTraefikApiGroup = LegacyGroupFor(flavor);
        if (Gateway is not null)
        {
            options.GatewayRouteVersion = Gateway.Value;
        }

        return options;
    }
}

public static class ClusterDiscovery
{
    public static ClusterRouteApis Discover(ClusterSession session)
    {
        var groups = session.ApiGroups().ToDictionary(g => g.Group, g => g.Versions);
        GatewayRouteVersion? gateway = null;
        if (groups.TryGetValue(ManifestConventions.GatewayApiGroup, out IReadOnlyList<string>? versions))
        {
            if (versions.Contains("v1") && session.ResourcesOf(ManifestConventions.GatewayApiGroup, "v1").Contains("tlsroutes"))
            {
                gateway = GatewayRouteVersion.V1;
            }
            else if (versions.Contains("v1alpha2"))
            {
                gateway = GatewayRouteVersion.V1Alpha2;
            }
        }

        // Each Traefik group says which kinds it serves: traefik.io's ServersTransportTCP marks v3's
        // CRDs, and an old traefik.containo.us beside it lacks that kind.
        var traefik = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal);
        foreach (string group in new[] { ManifestConventions.TraefikApiGroup, ManifestConventions.LegacyTraefikApiGroup })
        {
            if (groups.TryGetValue(group, out IReadOnlyList<string>? traefikVersions) && traefikVersions.Contains(ManifestConventions.TraefikApiVersion))
            {
                traefik[group] = new HashSet<string>(session.ResourcesOf(group, ManifestConventions.TraefikApiVersion), StringComparer.Ordinal);
            }
        }

        return new ClusterRouteApis
        {
            TraefikIo = traefik.ContainsKey(ManifestConventions.TraefikApiGroup),
            TraefikV3Crds = traefik.TryGetValue(ManifestConventions.TraefikApiGroup, out IReadOnlyCollection<string>? io) && io.Contains("serverstransporttcps"),
            TraefikContainous = traefik.ContainsKey(ManifestConventions.LegacyTraefikApiGroup),
            TraefikResources = traefik,
            Gateway = gateway,
            HelmChartConfigs = groups.ContainsKey(KubeKinds.HelmChartConfig.Group),
        };
    }

    /// <summary>The flavor asked for, or the one the cluster serves; an error when it serves none, or not the one asked for.</summary>
    public static ExposeFlavor ChooseFlavor(ClusterRouteApis apis, ExposeFlavor? requested, string server)
    {
        ExposeFlavor? chosen = requested ?? apis.PreferredFlavor;
        if (chosen is null || !apis.Serves(chosen.Value))
        {
            throw new ClusterExposeException(ErrorIds.NoRouteApiInstalled, ExposeErrorKind.ObjectNotFound,
                chosen is null
                    ? $"The cluster at {server} serves no route API ClusterExpose can write: neither Traefik's CRDs (traefik.io, traefik.containo.us) nor the Gateway API's TLSRoute."
                    : $"The cluster at {server} does not serve what {chosen} needs; it has {apis.Describe()}.",
                server, "Install Traefik (k3s ships it) or the Gateway API CRDs, or pass a -Flavor the cluster serves.");
        }

        return chosen.Value;
    }
}

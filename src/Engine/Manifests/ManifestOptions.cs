namespace ClusterExpose.Engine.Manifests;

/// <summary>Gateway API version for TLSRoute and TCPRoute.</summary>
public enum GatewayRouteVersion
{
    /// <summary>gateway.networking.k8s.io/v1: Standard channel since Gateway API 1.5 (TLSRoute) and 1.6 (TCPRoute).</summary>
    V1,
    /// <summary>gateway.networking.k8s.io/v1alpha2: the experimental channel of older installs.</summary>
    V1Alpha2,
}

/// <summary>How to render, as opposed to what to render (which is the model's business).</summary>
public sealed class ManifestOptions
{
    /// <summary>Write <c>*.domain</c> wildcards as Traefik's native Host(`*.domain`) (Traefik 3.7+) instead of a regexp.</summary>
    public bool NativeWildcards { get; set; }

    /// <summary>Use the traefik.containo.us API group for the TraefikV2 flavor (Traefik v2 before 2.10).</summary>
    public bool LegacyTraefikApiGroup { get; set; }

    /// <summary>Also write a v1 Endpoints object (deprecated since Kubernetes 1.33) beside the EndpointSlices.</summary>
    public bool LegacyEndpoints { get; set; }

    /// <summary>The Gateway the Gateway API routes attach to.</summary>
    public string GatewayName { get; set; } = "traefik-gateway";

    /// <summary>The Gateway's namespace; null means the route's own namespace.</summary>
    public string? GatewayNamespace { get; set; }

    public GatewayRouteVersion GatewayRouteVersion { get; set; } = GatewayRouteVersion.V1;

    /// <summary>
    /// The objects are rendered only to derive routes for the in-process proxy, never sent to an API
    /// server: target addresses Kubernetes refuses as endpoints (loopback, link-local) are fine there.
    /// </summary>
    public bool ForLocalForwarding { get; set; }

    /// <summary>
    /// The objects are rendered only to decide where names go (Test-SniRoute, Test-Exposure): which
    /// addresses the Services point at does not change that, so they are not checked.
    /// </summary>
    public bool ForRoutingOnly { get; set; }

    /// <summary>
    /// The objects are the routes file of a Start-SniProxy Deployment, which Traefik never reads:
    /// a forward may use any entry point name and public port there, even one of Traefik's own.
    /// </summary>
    public bool ForProxyRoutes { get; set; }
}

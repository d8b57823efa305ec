namespace ClusterExpose;

/// <summary>Which set of cloud-cluster resources an exposure is rendered as.</summary>
public enum ExposeFlavor
{
    /// <summary>Traefik v3: traefik.io/v1alpha1 with v3 rule syntax (Go regexps).</summary>
    TraefikV3,
    /// <summary>Traefik v2: {name:regex} templates and multi-value matchers.</summary>
    TraefikV2,
    /// <summary>Gateway API: HTTPRoute, TLSRoute (passthrough) and TCPRoute.</summary>
    GatewayApi,
}

/// <summary>The PROXY protocol header sent to the target ahead of the client's bytes.</summary>
public enum ProxyProtocolVersion
{
    None,
    V1,
    V2,
}

/// <summary>How a plain TCP port reaches the cloud cluster.</summary>
public enum TcpForwardMode
{
    /// <summary>A Traefik entry point per port and an IngressRouteTCP with HostSNI(`*`).</summary>
    TraefikEntryPoint,
    /// <summary>A selectorless Service of type LoadBalancer; kube-proxy forwards, no Traefik involved.</summary>
    LoadBalancer,
}

/// <summary>The kind of failure behind a <see cref="ClusterExposeException"/>; the facade maps it to an ErrorCategory.</summary>
public enum ExposeErrorKind
{
    InvalidArgument,
    InvalidData,
    ResourceExists,
    ObjectNotFound,
    NotImplemented,
}

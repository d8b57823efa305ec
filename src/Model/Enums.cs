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
    /// <summary>A connection was refused, reset or closed, or a name did not resolve.</summary>
    ConnectionError,
    OperationTimeout,
    /// <summary>The peer spoke, but not the protocol expected (a TLS alert, a non-HTTP answer).</summary>
    ProtocolError,
    /// <summary>The cluster refused the credentials (401) or the verb on the resource (403).</summary>
    PermissionDenied,
    /// <summary>The cluster's state forbids the change: another field manager owns a field, or an object changed since it was read.</summary>
    InvalidOperation,
}

/// <summary>What kind of router answered a connection.</summary>
public enum RouteKind
{
    /// <summary>No router took the connection.</summary>
    None,
    /// <summary>A TCP router with TLS passthrough: the encrypted stream is forwarded untouched.</summary>
    TcpPassthrough,
    /// <summary>A TCP router that terminates TLS and forwards the decrypted stream.</summary>
    TcpTerminate,
    /// <summary>A TCP router without TLS (a forwarded port).</summary>
    Tcp,
    /// <summary>An HTTP router reached over plain HTTP.</summary>
    Http,
    /// <summary>An HTTP router reached over HTTPS: Traefik terminates TLS.</summary>
    Https,
    /// <summary>Traefik's own ACME TLS-ALPN-01 handler.</summary>
    AcmeTlsAlpn,
}

/// <summary>How serious a lint finding is.</summary>
public enum LintSeverity
{
    Information,
    Warning,
    Error,
}

/// <summary>What a live probe exercised.</summary>
public enum ProbeMode
{
    /// <summary>A TLS handshake with the name as SNI.</summary>
    Tls,
    /// <summary>An HTTP/1.1 request with the name as Host header.</summary>
    Http,
    /// <summary>A TCP connection only.</summary>
    Tcp,
}

/// <summary>The Traefik major version whose rule semantics apply.</summary>
public enum TraefikVersion
{
    V3,
    V2,
}

/// <summary>What publishing an object did, or (with -WhatIf) would do.</summary>
public enum PublishAction
{
    Create,
    Update,
    Unchanged,
}

/// <summary>How a headless proxy (Start-SniProxy -Wait) writes its events to standard error.</summary>
public enum EventLogFormat
{
    /// <summary>One line per event for people: time, level, event id and name, message.</summary>
    Text,

    /// <summary>One JSON object per line for log pipelines: time, level, eventId, event, message, and each field of the event.</summary>
    Json,
}

/// <summary>What ConvertTo-SniProxyManifest renders.</summary>
public enum SniProxyRendering
{
    /// <summary>A ConfigMap with the routes and a DaemonSet on host ports, for a cloud cluster.</summary>
    DaemonSet,

    /// <summary>A systemd service unit, for a cloud node run without Kubernetes in the way.</summary>
    SystemdUnit,

    /// <summary>The routes file the DaemonSet's ConfigMap holds, for the systemd unit or Start-SniProxy -Path.</summary>
    RoutesFile,
}

/// <summary>Which cluster ConvertTo-ExposeManifest renders for.</summary>
public enum ManifestSide
{
    /// <summary>The cloud cluster: the routes, Services and endpoints that forward to the private side.</summary>
    Cloud,

    /// <summary>The private cluster: what its Traefik needs to accept what the cloud side sends (trusted forwarders, PROXY protocol).</summary>
    Private,
}

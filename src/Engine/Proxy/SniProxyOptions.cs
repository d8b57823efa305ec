using System;
using System.Collections.Generic;
using System.Net;

namespace ClusterExpose.Engine.Proxy;

/// <summary>Every knob of the proxy, with the defaults a public-facing forwarder should have.</summary>
public sealed class SniProxyOptions
{
    /// <summary>Where to listen; empty means every address (IPv6 any, dual-stack, or IPv4 any where IPv6 is off).</summary>
    public IReadOnlyList<IPAddress> ListenAddresses { get; set; } = Array.Empty<IPAddress>();

    /// <summary>The Traefik version that reads routes files and clusters; null: what the sources say (v2 only when all say v2).</summary>
    public ClusterExpose.TraefikVersion? TraefikVersion { get; set; }

    /// <summary>Log a line per finished connection (TLS, TCP) and per finished HTTP request.</summary>
    public bool AccessLog { get; set; }

    /// <summary>Where to serve /metrics, /healthz and /readyz; null: not served.</summary>
    public IPEndPoint? MetricsEndpoint { get; set; }

    /// <summary>The addresses actually listened on: the configured ones, or every address (dual-stack where IPv6 exists).</summary>
    public IReadOnlyList<IPAddress> EffectiveListenAddresses =>
        ListenAddresses.Count > 0 ? ListenAddresses
        : System.Net.Sockets.Socket.OSSupportsIPv6 ? new[] { IPAddress.IPv6Any }
        : new[] { IPAddress.Any };

    /// <summary>Overrides the public HTTP port of every exposed host (the model's HttpPort otherwise); 0 takes any free port.</summary>
    public int? HttpPort { get; set; }

    /// <summary>Overrides the public HTTPS port of every exposed host; 0 takes any free port.</summary>
    public int? HttpsPort { get; set; }

    /// <summary>Overrides the public port of every TCP forward by adding this offset (for tests and unprivileged runs).</summary>
    public int TcpPortOffset { get; set; }

    /// <summary>The whole time a client gets to send its ClientHello or request head (slowloris bound).</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A connection with no bytes either way for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long an HTTP connection may wait for its next request (Traefik's entry point idleTimeout default).</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(180);

    public int MaxConnections { get; set; } = 10_000;

    public int MaxConnectionsPerSource { get; set; } = 256;

    /// <summary>Connections still being read before routing: bounded apart from routed ones.</summary>
    public int MaxPendingHandshakes { get; set; } = 1_024;

    public int MaxHelloBytes { get; set; } = ClientHelloParser.DefaultMaxHelloBytes;

    public int MaxHttpHeadBytes { get; set; } = HttpRequestHeadParser.DefaultMaxHeadBytes;

    /// <summary>The copy buffer, rented only while bytes flow: an idle connection holds none.</summary>
    public int BufferSize { get; set; } = 64 * 1024;

    public int ListenBacklog { get; set; } = 1_024;

    /// <summary>What carries connections; Auto: the proxy's own epoll loop on Linux, the runtime's sockets elsewhere.</summary>
    public Transport.SocketEngineKind SocketEngine { get; set; }

    /// <summary>Checks the values; null when they are usable, otherwise why not.</summary>
    public string? Validate()
    {
        if (MaxHelloBytes < 512 || MaxHelloBytes > ClientHelloParser.MaxAllowedHelloBytes)
        {
            return $"MaxHelloBytes must be between 512 and {ClientHelloParser.MaxAllowedHelloBytes}.";
        }

        if (MaxHttpHeadBytes < 512 || MaxHttpHeadBytes > 1024 * 1024)
        {
            return "MaxHttpHeadBytes must be between 512 and 1048576.";
        }

        if (MaxConnections < 1 || MaxConnectionsPerSource < 1 || MaxPendingHandshakes < 1)
        {
            return "connection limits must be at least 1.";
        }

        if (HandshakeTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero || IdleTimeout <= TimeSpan.Zero || KeepAliveTimeout <= TimeSpan.Zero)
        {
            return "timeouts must be positive.";
        }

        if (BufferSize < 4096)
        {
            return "BufferSize must be at least 4096.";
        }

        return null;
    }
}

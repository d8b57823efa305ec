using System;
using System.Collections.Generic;

namespace ClusterExpose;

/// <summary>The state of an in-process SNI proxy.</summary>
public enum SniProxyState
{
    Running,
    Stopping,
    Stopped,
}

/// <summary>A snapshot of a running proxy: what <c>Start-SniProxy</c> returns and <c>Get-SniProxy</c> lists.</summary>
public sealed class SniProxyInfo
{
    public int Id { get; init; }

    public SniProxyState State { get; init; }

    public DateTime StartedAt { get; init; }

    /// <summary>Listening endpoints, written <c>kind entrypoint address:port</c>.</summary>
    public IReadOnlyList<SniProxyListenerInfo> Listeners { get; init; } = Array.Empty<SniProxyListenerInfo>();

    public int RouteCount { get; init; }

    /// <summary>Where /metrics (Prometheus text), /healthz and /readyz are served, if they are.</summary>
    public string? MetricsEndpoint { get; init; }

    /// <summary>The routes file watched for changes, if any.</summary>
    public string? WatchedPath { get; init; }

    public long ActiveConnections { get; init; }

    /// <summary>
    /// Relays with traffic in the last second or two: each keeps a small read buffer posted per
    /// direction. The other active connections wait without one. Always 0 on Linux, where the proxy's
    /// own event loop never keeps reads posted (a wait there costs nothing).
    /// </summary>
    public long BusyRelays { get; init; }

    /// <summary>
    /// Bytes of buffers the connections hold now: hellos and request heads being read, and the reads
    /// busy relays keep posted. A quiet relay holds none.
    /// </summary>
    public long BufferBytes { get; init; }

    public long TotalConnections { get; init; }

    public long BytesFromClients { get; init; }

    public long BytesToClients { get; init; }

    /// <summary>Connections closed before reaching a backend, by reason (UnknownName, MalformedHello, ...).</summary>
    public IReadOnlyDictionary<string, long> Rejections { get; init; } = new Dictionary<string, long>();

    public IReadOnlyList<SniProxyRouteInfo> Routes { get; init; } = Array.Empty<SniProxyRouteInfo>();

    /// <summary>The last few log events, oldest first.</summary>
    public IReadOnlyList<string> RecentEvents { get; init; } = Array.Empty<string>();

    public override string ToString() => $"SniProxy {Id} ({State})";
}

/// <summary>One listening socket of a proxy, with its counters.</summary>
public sealed class SniProxyListenerInfo
{
    /// <summary>Tls, Http or Tcp.</summary>
    public string Kind { get; init; } = string.Empty;

    public string EntryPoint { get; init; } = string.Empty;

    public string Endpoint { get; init; } = string.Empty;

    public long ActiveConnections { get; init; }

    public long TotalConnections { get; init; }

    /// <summary>Mean time from accept to a routing decision (reading the ClientHello or request head).</summary>
    public double MeanPeekMs { get; init; }

    public override string ToString() => $"{Kind} {EntryPoint} {Endpoint}";
}

/// <summary>Counters of one route of a proxy.</summary>
public sealed class SniProxyRouteInfo
{
    public string Router { get; init; } = string.Empty;

    public string Backend { get; init; } = string.Empty;

    public long ActiveConnections { get; init; }

    public long TotalConnections { get; init; }

    public long BytesFromClients { get; init; }

    public long BytesToClients { get; init; }

    public long BackendFailures { get; init; }

    /// <summary>HTTP requests routed by this router; every request of a keep-alive connection counts (0 for TLS and TCP routes).</summary>
    public long Requests { get; init; }

    public override string ToString() => $"{Router} -> {Backend}";
}

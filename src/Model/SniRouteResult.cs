using System;
using System.Collections.Generic;

namespace ClusterExpose;

/// <summary>Where one host name goes on one entry point, and why: the output of <c>Test-SniRoute</c>.</summary>
public sealed class SniRouteResult
{
    public SniRouteResult(
        string hostname,
        string entryPoint,
        bool tls,
        string? router,
        RouteKind kind,
        string? service,
        int? port,
        int? priority,
        bool ambiguous,
        IReadOnlyList<ShadowedRoute> shadowed,
        string reason)
    {
        Hostname = hostname;
        EntryPoint = entryPoint;
        Tls = tls;
        Router = router;
        Kind = kind;
        Service = service;
        Port = port;
        Priority = priority;
        Ambiguous = ambiguous;
        Shadowed = shadowed ?? Array.Empty<ShadowedRoute>();
        Reason = reason;
    }

    /// <summary>The name asked about, lowercase ASCII (an IDN is shown as punycode).</summary>
    public string Hostname { get; }

    public string EntryPoint { get; }

    /// <summary>True when the connection was evaluated as TLS (routed by SNI), false for plain bytes.</summary>
    public bool Tls { get; }

    public bool Matched => Router is not null;

    /// <summary>The winning router, written <c>namespace/name</c> (with <c>#n</c> for the n-th route of a resource).</summary>
    public string? Router { get; }

    public RouteKind Kind { get; }

    public string? Service { get; }

    public int? Port { get; }

    public int? Priority { get; }

    /// <summary>True when another router matched with the same priority: Traefik's choice between them is not defined.</summary>
    public bool Ambiguous { get; }

    /// <summary>Routers that also matched, or would for some requests, and lost.</summary>
    public IReadOnlyList<ShadowedRoute> Shadowed { get; }

    /// <summary>One sentence on why this router won, or why none did.</summary>
    public string Reason { get; }

    public override string ToString() => Matched ? $"{Hostname} -> {Router}" : $"{Hostname} -> (no route)";
}

/// <summary>A router that matched a name but lost to another.</summary>
public sealed class ShadowedRoute
{
    public ShadowedRoute(string router, int priority, string why)
    {
        Router = router;
        Priority = priority;
        Why = why;
    }

    public string Router { get; }

    public int Priority { get; }

    /// <summary>Why it lost: lower priority, a later stage of Traefik's order, or a condition beyond the name.</summary>
    public string Why { get; }

    public override string ToString() => $"{Router} ({Priority})";
}

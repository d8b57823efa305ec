using System;
using System.Collections.Generic;
using ClusterExpose.Engine.Rules;

namespace ClusterExpose.Engine.Routing;

/// <summary>How a router treats TLS.</summary>
public enum RouterTls
{
    /// <summary>HTTP routers reached in clear, TCP routers without TLS.</summary>
    None,
    /// <summary>Traefik terminates TLS (an IngressRoute with tls, an IngressRouteTCP with tls and no passthrough).</summary>
    Terminate,
    /// <summary>IngressRouteTCP with tls.passthrough: the stream is forwarded still encrypted.</summary>
    Passthrough,
}

/// <summary>One Traefik router as written: a route of an IngressRoute or IngressRouteTCP, before compiling.</summary>
public sealed class RouterDefinition
{
    public RouterDefinition(string name, RouterProtocol protocol, IReadOnlyList<string> entryPoints, string rule, RuleSyntax syntax, int explicitPriority, RouterTls tls, string? service, int? port, string? source)
    {
        Name = name;
        Protocol = protocol;
        EntryPoints = entryPoints ?? Array.Empty<string>();
        Rule = rule ?? string.Empty;
        Syntax = syntax;
        ExplicitPriority = explicitPriority;
        Tls = tls;
        Service = service;
        Port = port;
        Source = source;
    }

    /// <summary><c>namespace/name</c>, with <c>#n</c> when the resource has several routes.</summary>
    public string Name { get; }

    /// <summary>The namespace of the route object: the one its Service is looked up in.</summary>
    public string Namespace => Name.Substring(0, Math.Max(0, Name.IndexOf('/')));

    public RouterProtocol Protocol { get; }

    /// <summary>Empty means every entry point, as Traefik does for a route that names none.</summary>
    public IReadOnlyList<string> EntryPoints { get; }

    public string Rule { get; }

    public RuleSyntax Syntax { get; }

    /// <summary>0 means Traefik's default (the rule's length).</summary>
    public int ExplicitPriority { get; }

    public RouterTls Tls { get; }

    public string? Service { get; }

    public int? Port { get; }

    /// <summary>Where the router was read from, for messages.</summary>
    public string? Source { get; }

    /// <summary>The middlewares the route names; Traefik applies them, a forwarder of bytes cannot.</summary>
    public IReadOnlyList<string> Middlewares { get; init; } = Array.Empty<string>();

    /// <summary>Where the router's connections go, when its source names the Service's addresses; null otherwise.</summary>
    public RouteBackend? Backend { get; private init; }

    /// <summary>The same router, leading to <paramref name="backend"/>.</summary>
    public RouterDefinition WithBackend(RouteBackend backend) =>
        new(Name, Protocol, EntryPoints, Rule, Syntax, ExplicitPriority, Tls, Service, Port, Source) { Middlewares = Middlewares, Backend = backend };

    public bool IsOn(string entryPoint) => EntryPoints.Count == 0 || Contains(EntryPoints, entryPoint);

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        foreach (string item in list)
        {
            if (item == value)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A router after compiling: either a rule Traefik accepts, or the reasons it refuses the router.</summary>
public sealed class CompiledRouter
{
    internal CompiledRouter(RouterDefinition definition, CompiledRule? rule, IReadOnlyList<RuleDiagnostic> diagnostics, IReadOnlyList<string>? sniDomains)
    {
        Definition = definition;
        Rule = rule;
        Diagnostics = diagnostics;
        SniDomains = sniDomains;
    }

    public RouterDefinition Definition { get; }

    public CompiledRule? Rule { get; }

    public IReadOnlyList<RuleDiagnostic> Diagnostics { get; }

    /// <summary>
    /// For an HTTPS router: the host names it registers for SNI (empty: it names none, so it takes
    /// TLS connections no other router claims); null when Traefik cannot read names from the rule.
    /// Registered even when the HTTP muxer refuses the rule.
    /// </summary>
    public IReadOnlyList<string>? SniDomains { get; }

    public string Name => Definition.Name;

    public bool Accepted => Rule is not null;

    /// <summary>The priority Traefik sorts by: the explicit one, else the rule's length (-1 for the TCP catch-all).</summary>
    public int Priority => Definition.ExplicitPriority != 0 ? Definition.ExplicitPriority : Rule?.DefaultPriority ?? Definition.Rule.Length;

    public bool IsHttps => Definition.Protocol == RouterProtocol.Http && Definition.Tls != RouterTls.None;

    public bool IsPlainHttp => Definition.Protocol == RouterProtocol.Http && Definition.Tls == RouterTls.None;

    public bool IsTlsTcp => Definition.Protocol == RouterProtocol.Tcp && Definition.Tls != RouterTls.None;

    public bool IsPlainTcp => Definition.Protocol == RouterProtocol.Tcp && Definition.Tls == RouterTls.None;

    public override string ToString() => $"{Name} ({Priority})";
}

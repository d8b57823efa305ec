using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose.Engine.Routing;

/// <summary>
/// An immutable set of compiled routers and Traefik's order for picking one of them
/// (<c>pkg/server/router/tcp/router.go</c>, <c>ServeTCP</c>). There is one walker of that order,
/// <see cref="Walk"/>: the proxy calls it through <see cref="Select"/> with no trace, for nothing but
/// the router; Test-SniRoute and the linter call it through <see cref="Decide"/> with a trace, from
/// which the explanation is written.
/// </summary>
public sealed partial class RouteTable
{
    private readonly ConcurrentDictionary<string, EntryPointPlan> plans = new(StringComparer.Ordinal);

    private RouteTable(IReadOnlyList<CompiledRouter> routers) => Routers = routers;

    public IReadOnlyList<CompiledRouter> Routers { get; }

    /// <summary>Routers whose rule Traefik would refuse; they never match.</summary>
    public IEnumerable<CompiledRouter> Rejected => Routers.Where(r => !r.Accepted);

    public static RouteTable Build(IEnumerable<RouterDefinition> definitions)
    {
        var routers = new List<CompiledRouter>();
        foreach (RouterDefinition definition in definitions)
        {
            CompiledRule? rule = RuleCompiler.Compile(definition.Rule, definition.Syntax, definition.Protocol, definition.Tls != RouterTls.None, out IReadOnlyList<RuleDiagnostic> diagnostics);
            IReadOnlyList<string>? sniDomains = definition.Protocol == RouterProtocol.Http && definition.Tls != RouterTls.None ? SniDomains.Of(definition.Rule) : null;
            routers.Add(new CompiledRouter(definition, rule, diagnostics, sniDomains));
        }

        return new RouteTable(routers);
    }

    /// <summary>Entry points named by any router, in first-seen order.</summary>
    public IReadOnlyList<string> EntryPoints =>
        Routers.SelectMany(r => r.Definition.EntryPoints).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Whether Traefik would treat a connection on this entry point as TLS: some router there expects TLS.</summary>
    public bool ExpectsTls(string entryPoint) =>
        OnEntryPoint(entryPoint).Any(r => r.Definition.Tls != RouterTls.None);

    /// <summary>Whether any router on the entry point routes by name (so asking about a name means something there).</summary>
    public bool RoutesByName(string entryPoint) =>
        OnEntryPoint(entryPoint).Any(r => r.Rule!.NamesHost);

    public IEnumerable<CompiledRouter> OnEntryPoint(string entryPoint) =>
        Routers.Where(r => r.Accepted && r.Definition.IsOn(entryPoint));

    /// <summary>The router Traefik picks for one connection: the proxy's per-connection call, with no explanation and no allocation.</summary>
    public RouteSelection Select(string entryPoint, in RouteQuery query, bool tls) =>
        Walk(plans.GetOrAdd(entryPoint, BuildPlan), query, tls, trace: null);

    /// <summary>The same decision as <see cref="Select"/>, with the losers and the reasons.</summary>
    public RouteDecision Decide(string entryPoint, in RouteQuery query, bool tls)
    {
        var trace = new DecisionTrace();
        RouteSelection selection = Walk(plans.GetOrAdd(entryPoint, BuildPlan), query, tls, trace);
        return Explain(entryPoint, query, tls, selection, trace);
    }

    /// <summary>
    /// Traefik's order. A plain connection: non-TLS TCP routers (which see no name), then HTTP
    /// routers. A TLS connection: an entry point with only non-TLS TCP routers forwards it unread;
    /// otherwise the HTTPS SNI table (the host names of every HTTPS router, and <c>*</c> for one that
    /// names none) is matched first. A named match hands the connection to the HTTP muxer at once;
    /// else the TLS TCP routers by priority, where a winning <c>HostSNI(`*`)</c> waits behind an
    /// HTTPS catch-all; whatever is left goes to the HTTP muxer (its 404).
    /// </summary>
    private static RouteSelection Walk(EntryPointPlan plan, in RouteQuery query, bool tls, DecisionTrace? trace)
    {
        if (!tls)
        {
            if (plan.PlainTcp.Length > 0)
            {
                RouteSelection tcp = First(plan.PlainTcp, query.WithoutName(), Stage.PlainTcp, trace);
                if (tcp.Router is not null)
                {
                    return tcp;
                }
            }

            return First(plan.PlainHttp, query, Stage.PlainHttp, trace);
        }

        if (plan.ForwardsUnread)
        {
            // Traefik tries these before reading anything; with no match it reads the hello and,
            // having no TLS router, answers it with nothing.
            return First(plan.PlainTcp, query.WithoutName(), Stage.Unread, trace);
        }

        if (query.Alpn is not null && Contains(query.Alpn, "acme-tls/1"))
        {
            trace?.Acme();
            return new RouteSelection(null, false, acmeTlsAlpn: true);
        }

        SniMatch sni = plan.MatchSni(query.ServerName);
        if (sni == SniMatch.Named)
        {
            return First(plan.Https, query, Stage.HttpsNamed, trace);
        }

        RouteSelection tlsTcp = First(plan.TlsTcp, query, Stage.TlsTcp, trace);
        if (tlsTcp.Router is not null && !tlsTcp.Router.Rule!.IsCatchAll)
        {
            return tlsTcp;
        }

        if (sni == SniMatch.CatchAll)
        {
            return First(plan.Https, query, Stage.HttpsCatchAll, trace);
        }

        if (tlsTcp.Router is not null)
        {
            trace?.CatchAllServedLast();
            return tlsTcp;
        }

        return First(plan.Https, query, Stage.HttpsFallback, trace);
    }

    /// <summary>One muxer: the first router that matches by priority; failing that, the first that might (conditional).</summary>
    private static RouteSelection First(CompiledRouter[] routers, in RouteQuery query, Stage stage, DecisionTrace? trace)
    {
        CompiledRouter? firstUnknown = null;
        CompiledRouter? winner = null;
        foreach (CompiledRouter router in routers)
        {
            Truth truth = router.Rule!.Evaluate(query);

            // An explanation needs every router's truth, so a trace keeps going past the winner.
            trace?.Evaluated(router, truth);
            if (truth == Truth.True && winner is null)
            {
                winner = router;
                if (trace is null)
                {
                    break;
                }
            }
            else if (truth == Truth.Unknown)
            {
                firstUnknown ??= router;
            }
        }

        var selection = winner is not null ? new RouteSelection(winner, false, false) : new RouteSelection(firstUnknown, firstUnknown is not null, false);
        trace?.Tried(stage, routers, selection.Router);
        return selection;
    }

    private static bool Contains(IReadOnlyList<string> values, string wanted)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], wanted, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private EntryPointPlan BuildPlan(string entryPoint)
    {
        // OrderByDescending is stable: routers of equal priority keep the order they were given in.
        CompiledRouter[] Sorted(Func<CompiledRouter, bool> where) =>
            OnEntryPoint(entryPoint).Where(where).OrderByDescending(r => r.Priority).ToArray();

        var sniNames = new List<NameNode>();
        bool sniCatchAll = false;
        foreach (CompiledRouter named in Routers.Where(r => r.IsHttps && r.Definition.IsOn(entryPoint) && r.SniDomains is not null))
        {
            // Traefik registers each host as a HostSNI route of its own (v3 syntax); a host that
            // HostSNI refuses (**.domain) is left out, and a router with no host adds `*`.
            sniCatchAll |= named.SniDomains!.Count == 0;
            foreach (string domain in named.SniDomains!)
            {
                if (domain == "*")
                {
                    sniCatchAll = true;
                }
                else if (SniDomains.IsRegistrable(domain))
                {
                    sniNames.Add(new NameNode(domain, NameMatching.Sni));
                }
            }
        }

        CompiledRouter[] https = Sorted(r => r.IsHttps);
        CompiledRouter[] tlsTcp = Sorted(r => r.IsTlsTcp);
        CompiledRouter[] plainTcp = Sorted(r => r.IsPlainTcp);
        return new EntryPointPlan(
            plainTcp,
            Sorted(r => r.IsPlainHttp),
            tlsTcp,
            https,
            sniNames.ToArray(),
            sniCatchAll,
            plainTcp.Length > 0 && tlsTcp.Length == 0 && sniNames.Count == 0 && !sniCatchAll);
    }

    private enum SniMatch
    {
        None,
        Named,
        CatchAll,
    }

    /// <summary>Where in Traefik's order a muxer was asked; the explanation says why that step came when it did.</summary>
    internal enum Stage
    {
        PlainTcp,
        PlainHttp,
        Unread,
        HttpsNamed,
        TlsTcp,
        HttpsCatchAll,
        TcpCatchAll,
        HttpsFallback,
    }

    private sealed record EntryPointPlan(
        CompiledRouter[] PlainTcp,
        CompiledRouter[] PlainHttp,
        CompiledRouter[] TlsTcp,
        CompiledRouter[] Https,
        NameNode[] SniNames,
        bool SniCatchAll,
        bool ForwardsUnread)
    {
        public SniMatch MatchSni(string serverName)
        {
            if (serverName.Length > 0)
            {
                foreach (NameNode name in SniNames)
                {
                    if (name.Matches(serverName))
                    {
                        return SniMatch.Named;
                    }
                }
            }

            return SniCatchAll ? SniMatch.CatchAll : SniMatch.None;
        }
    }
}

/// <summary>The router for one connection, without the explanation: what the proxy needs per connection.</summary>
public readonly struct RouteSelection
{
    internal RouteSelection(CompiledRouter? router, bool conditional, bool acmeTlsAlpn)
    {
        Router = router;
        Conditional = conditional;
        AcmeTlsAlpn = acmeTlsAlpn;
    }

    public CompiledRouter? Router { get; }

    /// <summary>The router also needs something the connection has not shown (a path, a header): a proxy treats that as no route.</summary>
    public bool Conditional { get; }

    public bool AcmeTlsAlpn { get; }
}

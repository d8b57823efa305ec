using System;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose.Engine.Routing;

/// <summary>
/// An immutable set of compiled routers and Traefik's order for picking one of them. Test-SniRoute
/// asks it where a name goes; the proxy asks it the same question for every connection.
/// </summary>
public sealed partial class RouteTable
{
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
            routers.Add(new CompiledRouter(definition, rule, diagnostics));
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

    /// <summary>Picks the router Traefik would pick for a connection on <paramref name="entryPoint"/>.</summary>
    public RouteDecision Decide(string entryPoint, in RouteQuery query, bool tls)
    {
        var evaluated = new List<Candidate>();
        foreach (CompiledRouter router in OnEntryPoint(entryPoint))
        {
            evaluated.Add(new Candidate(router, router.Rule!.Evaluate(query)));
        }

        return tls ? DecideTls(entryPoint, query, evaluated) : DecidePlain(entryPoint, query, evaluated);
    }

    private static RouteDecision DecidePlain(string entryPoint, RouteQuery query, List<Candidate> evaluated)
    {
        var tcp = evaluated.Where(c => c.Router.IsPlainTcp).ToList();
        var http = evaluated.Where(c => c.Router.IsPlainHttp).ToList();
        var order = new List<Stage>
        {
            new(tcp, "non-TLS TCP routers come before HTTP routers"),
            new(http, "HTTP routers"),
        };
        return Walk(entryPoint, query, order, evaluated, tls: false,
            $"No TCP or HTTP router on {entryPoint} matches '{Show(query)}'; Traefik answers 404.");
    }

    private static RouteDecision DecideTls(string entryPoint, RouteQuery query, List<Candidate> evaluated)
    {
        var plainTcp = evaluated.Where(c => c.Router.IsPlainTcp).ToList();
        var tlsTcp = evaluated.Where(c => c.Router.IsTlsTcp).ToList();
        var https = evaluated.Where(c => c.Router.IsHttps).ToList();

        // An entry point with only non-TLS TCP routers is forwarded without reading the hello at all.
        if (plainTcp.Count > 0 && tlsTcp.Count == 0 && https.Count == 0)
        {
            return Walk(entryPoint, query, new List<Stage> { new(plainTcp, "non-TLS TCP routers take the bytes unread") }, evaluated, tls: true,
                $"No TCP router on {entryPoint} accepts this client.");
        }

        if (query.Alpn is not null && query.Alpn.Contains("acme-tls/1"))
        {
            return new RouteDecision(null, RouteKind.AcmeTlsAlpn, false, false, Shadow(evaluated, null, _ => "ALPN acme-tls/1 goes to Traefik's ACME handler first"),
                $"The client offers ALPN acme-tls/1, which Traefik answers itself (TLS-ALPN-01) before any router.");
        }

        string sni = query.ServerName;
        bool httpsNamesHost = sni.Length > 0 && https.Any(c => c.Router.Rule!.HostDomainsCover(sni));
        bool httpsCatchAll = https.Any(c => c.Router.Rule!.HostDomains.Count == 0);
        var order = new List<Stage>();
        if (httpsNamesHost)
        {
            order.Add(new Stage(https, "an HTTPS router names this host, so Traefik terminates TLS before any TCP router is tried", Final: true));
        }

        order.Add(new Stage(tlsTcp.Where(c => !c.Router.Rule!.IsCatchAll).ToList(), "TCP routers are tried after HTTPS routers that name the host"));
        if (httpsCatchAll)
        {
            order.Add(new Stage(https, "an HTTPS router that names no host takes every TLS connection left, before HostSNI(`*`)", Final: true));
        }

        order.Add(new Stage(tlsTcp.Where(c => c.Router.Rule!.IsCatchAll).ToList(), "HostSNI(`*`) is tried last"));
        return Walk(entryPoint, query, order, evaluated, tls: true,
            $"No router on {entryPoint} matches SNI '{Show(query)}'; Traefik answers with its default certificate" + (https.Count > 0 || httpsCatchAll ? " and a 404." : " and closes."));
    }

    private static RouteDecision Walk(string entryPoint, RouteQuery query, List<Stage> order, List<Candidate> evaluated, bool tls, string noMatchReason)
    {
        for (int s = 0; s < order.Count; s++)
        {
            Stage stage = order[s];
            var matching = stage.Candidates.Where(c => c.Truth != Truth.False)
                .OrderByDescending(c => c.Router.Priority)
                .ToList();
            Candidate? winner = matching.FirstOrDefault(c => c.Truth == Truth.True);
            bool conditional = false;
            if (winner is null && matching.Count > 0)
            {
                winner = matching[0];
                conditional = true;
            }

            if (winner is null)
            {
                if (stage.Final)
                {
                    return new RouteDecision(null, RouteKind.None, false, false, Shadow(evaluated, null, _ => "does not match"),
                        $"On {entryPoint}, {stage.Why}, but no HTTPS router matches '{Show(query)}': Traefik answers 404.");
                }

                continue;
            }

            CompiledRouter chosen = winner.Router;
            bool ambiguous = matching.Any(c => !ReferenceEquals(c, winner) && c.Truth == winner.Truth && c.Router.Priority == chosen.Priority);
            var stageMembers = new HashSet<CompiledRouter>(stage.Candidates.Select(c => c.Router));
            IReadOnlyList<ShadowedRoute> shadowed = Shadow(evaluated, chosen, c =>
                c.Router.Priority == chosen.Priority && stageMembers.Contains(c.Router) ? "same priority: Traefik's order between them is not defined"
                : !stageMembers.Contains(c.Router) ? "tried later: " + LaterStageWhy(c.Router, order, s)
                : c.Router.Priority > chosen.Priority ? "higher priority, but it also needs " + RequestConditions(c.Router)
                : "lower priority");
            string reason = $"{chosen.Name} matches"
                + (tls ? $" SNI '{Show(query)}'" : $" '{Show(query)}'")
                + (conditional ? " (only for requests that also satisfy " + RequestConditions(chosen) + ")" : string.Empty)
                + $" with priority {chosen.Priority}, highest on {entryPoint}"
                + (order.Any(o => !ReferenceEquals(o, stage) && o.Candidates.Count > 0) ? $" ({stage.Why})" : string.Empty)
                + (ambiguous ? "; another router has the same priority, so Traefik may pick either." : ".");
            return new RouteDecision(chosen, RouteKindOf(chosen), ambiguous, conditional, shadowed, reason);
        }

        return new RouteDecision(null, RouteKind.None, false, false, Shadow(evaluated, null, _ => "does not match"), noMatchReason);
    }

    private static string LaterStageWhy(CompiledRouter router, List<Stage> order, int winningStage)
    {
        for (int s = winningStage + 1; s < order.Count; s++)
        {
            if (order[s].Candidates.Any(c => ReferenceEquals(c.Router, router)))
            {
                return order[s].Why;
            }
        }

        return "not tried for this kind of connection";
    }

    private static IReadOnlyList<ShadowedRoute> Shadow(List<Candidate> evaluated, CompiledRouter? winner, Func<Candidate, string> why) =>
        evaluated.Where(c => c.Truth != Truth.False && !ReferenceEquals(c.Router, winner))
            .OrderByDescending(c => c.Router.Priority)
            .Select(c => new ShadowedRoute(c.Router.Name, c.Router.Priority, why(c)))
            .ToList();

    private static string RequestConditions(CompiledRouter router)
    {
        var conditions = new List<string>();
        Collect(router.Rule!.Root, conditions);
        return conditions.Count == 0 ? "a condition beyond the name" : string.Join(" and ", conditions);

        static void Collect(RuleNode node, List<string> into)
        {
            switch (node)
            {
                case RequestConditionNode request:
                    into.Add(request.Description);
                    break;
                case ClientIpNode:
                    into.Add("a client address (ClientIP)");
                    break;
                case AlpnNode:
                    into.Add("an ALPN protocol");
                    break;
                case AndNode and:
                    foreach (RuleNode child in and.Children)
                    {
                        Collect(child, into);
                    }

                    break;
                case OrNode or:
                    foreach (RuleNode child in or.Children)
                    {
                        Collect(child, into);
                    }

                    break;
                case NotNode not:
                    Collect(not.Operand, into);
                    break;
            }
        }
    }

    private static RouteKind RouteKindOf(CompiledRouter router) => router.Definition switch
    {
        { Protocol: RouterProtocol.Http, Tls: RouterTls.None } => RouteKind.Http,
        { Protocol: RouterProtocol.Http } => RouteKind.Https,
        { Tls: RouterTls.Passthrough } => RouteKind.TcpPassthrough,
        { Tls: RouterTls.Terminate } => RouteKind.TcpTerminate,
        _ => RouteKind.Tcp,
    };

    private static string Show(RouteQuery query) => query.ServerName.Length == 0 ? "(none)" : query.ServerName;

    private sealed record Candidate(CompiledRouter Router, Truth Truth);

    private sealed record Stage(List<Candidate> Candidates, string Why, bool Final = false);
}

/// <summary>The router Traefik picks for one connection, and the ones that lost.</summary>
public sealed class RouteDecision
{
    internal RouteDecision(CompiledRouter? winner, RouteKind kind, bool ambiguous, bool conditional, IReadOnlyList<ShadowedRoute> shadowed, string reason)
    {
        Winner = winner;
        Kind = kind;
        Ambiguous = ambiguous;
        Conditional = conditional;
        Shadowed = shadowed;
        Reason = reason;
    }

    public CompiledRouter? Winner { get; }

    public RouteKind Kind { get; }

    public bool Ambiguous { get; }

    /// <summary>True when the winner also needs something beyond the name (a path, a header, a client address).</summary>
    public bool Conditional { get; }

    public IReadOnlyList<ShadowedRoute> Shadowed { get; }

    public string Reason { get; }

    public SniRouteResult ToResult(string hostname, string entryPoint, bool tls) => new(
        hostname,
        entryPoint,
        tls,
        Winner?.Name,
        Kind,
        Winner?.Definition.Service,
        Winner?.Definition.Port,
        Winner?.Priority,
        Ambiguous,
        Shadowed,
        Reason);
}

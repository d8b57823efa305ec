using System;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose.Engine.Routing;

/// <summary>What the walker did for one connection, kept only when an explanation is wanted.</summary>
internal sealed class DecisionTrace
{
    public Dictionary<CompiledRouter, Truth> Truths { get; } = new(ReferenceEqualityComparer.Instance);

    public List<(RouteTable.Stage Stage, CompiledRouter[] Routers, CompiledRouter? Chosen)> Steps { get; } = new();

    public bool AcmeTlsAlpn { get; private set; }

    /// <summary>Set when a winning HostSNI(`*`) was served only after the HTTPS catch-all was found missing.</summary>
    public bool CatchAllDeferred { get; private set; }

    public void Evaluated(CompiledRouter router, Truth truth) => Truths[router] = truth;

    public void Tried(RouteTable.Stage stage, CompiledRouter[] routers, CompiledRouter? chosen) => Steps.Add((stage, routers, chosen));

    public void Acme() => AcmeTlsAlpn = true;

    public void CatchAllServedLast() => CatchAllDeferred = true;
}

public sealed partial class RouteTable
{
    private RouteDecision Explain(string entryPoint, RouteQuery query, bool tls, RouteSelection selection, DecisionTrace trace)
    {
        // Every router on the entry point that could take this connection is listed, tried or not.
        var candidates = new List<(CompiledRouter Router, Truth Truth)>();
        foreach (CompiledRouter router in OnEntryPoint(entryPoint))
        {
            Truth truth = trace.Truths.TryGetValue(router, out Truth seen) ? seen
                : router.Rule!.Evaluate(router.IsPlainTcp ? query.WithoutName() : query);
            candidates.Add((router, truth));
        }

        if (trace.AcmeTlsAlpn)
        {
            return new RouteDecision(null, RouteKind.AcmeTlsAlpn, false, false, Shadow(candidates, null, _ => "ALPN acme-tls/1 goes to Traefik's ACME handler first"),
                "The client offers ALPN acme-tls/1, which Traefik answers itself (TLS-ALPN-01) before any router.");
        }

        CompiledRouter? winner = selection.Router;
        int step = winner is null ? -1 : trace.Steps.FindLastIndex(s => ReferenceEquals(s.Chosen, winner));
        if (winner is null || step < 0)
        {
            (Stage Stage, CompiledRouter[] Routers, CompiledRouter? Chosen)? last = trace.Steps.Count > 0 ? trace.Steps[^1] : null;
            string why = last is { Stage: Stage.HttpsNamed or Stage.HttpsCatchAll or Stage.HttpsFallback } final
                ? $"On {entryPoint}, {StageWhy(final.Stage)}, but no HTTPS router matches '{Show(query)}': Traefik answers 404."
                : tls
                    ? $"No router on {entryPoint} matches SNI '{Show(query)}'; Traefik answers with its default certificate and closes."
                    : $"No TCP or HTTP router on {entryPoint} matches '{Show(query)}'; Traefik answers 404.";
            return new RouteDecision(null, RouteKind.None, false, false, Shadow(candidates, null, _ => "does not match"), why);
        }

        (Stage stage, CompiledRouter[] members, _) = trace.Steps[step];
        Truth winnerTruth = candidates.First(c => ReferenceEquals(c.Router, winner)).Truth;
        bool ambiguous = members.Any(r => !ReferenceEquals(r, winner) && r.Priority == winner.Priority && trace.Truths.TryGetValue(r, out Truth t) && t == winnerTruth);
        var inWinningStep = new HashSet<CompiledRouter>(members, ReferenceEqualityComparer.Instance);
        IReadOnlyList<ShadowedRoute> shadowed = Shadow(candidates, winner, c =>
            inWinningStep.Contains(c.Router)
                ? c.Router.Priority == winner.Priority ? "same priority: Traefik's order between them is not defined"
                : c.Router.Priority > winner.Priority ? "higher priority, but it also needs " + RequestConditions(c.Router)
                : "lower priority"
            : "not reached: " + NotReachedWhy(c.Router, tls, trace));
        Stage shownStage = trace.CatchAllDeferred ? Stage.TcpCatchAll : stage;
        string reason = $"{winner.Name} matches"
            + (tls ? $" SNI '{Show(query)}'" : $" '{Show(query)}'")
            + (selection.Conditional ? " (only for requests that also satisfy " + RequestConditions(winner) + ")" : string.Empty)
            + $" with priority {winner.Priority}, highest on {entryPoint}"
            + (candidates.Count > 1 ? $" ({StageWhy(shownStage)})" : string.Empty)
            + (ambiguous ? "; another router has the same priority, so Traefik may pick either." : ".");
        return new RouteDecision(winner, RouteKindOf(winner), ambiguous, selection.Conditional, shadowed, reason);
    }

    private static string StageWhy(Stage stage) => stage switch
    {
        Stage.PlainTcp => "non-TLS TCP routers come before HTTP routers, and see no host name",
        Stage.PlainHttp => "HTTP routers",
        Stage.Unread => "non-TLS TCP routers take the bytes unread",
        Stage.HttpsNamed => "an HTTPS router names this host, so Traefik terminates TLS before any TCP router is tried",
        Stage.TlsTcp => "TCP routers are tried after HTTPS routers that name the host",
        Stage.HttpsCatchAll => "an HTTPS router that names no host takes every TLS connection no named TCP router took, before HostSNI(`*`)",
        Stage.TcpCatchAll => "HostSNI(`*`) is served last, after any HTTPS router that names no host",
        _ => "no TCP router took it, so Traefik's HTTPS handler routes it by host",
    };

    private static string NotReachedWhy(CompiledRouter router, bool tls, DecisionTrace trace)
    {
        if (router.IsPlainTcp || router.IsPlainHttp)
        {
            return tls ? "a router without TLS does not see a TLS connection" : "tried after the winner";
        }

        if (!tls)
        {
            return "a TLS router does not see a plain connection";
        }

        if (router.IsHttps)
        {
            return trace.Steps.Any(s => s.Stage == Stage.TlsTcp) ? "HTTPS routers come after TCP routers unless an HTTPS router names this host" : "tried after the winner";
        }

        return trace.Steps.Any(s => s.Stage == Stage.HttpsNamed) ? "an HTTPS router names this host, so TCP routers are not tried" : "tried after the winner";
    }

    private static IReadOnlyList<ShadowedRoute> Shadow(List<(CompiledRouter Router, Truth Truth)> candidates, CompiledRouter? winner, Func<(CompiledRouter Router, Truth Truth), string> why) =>
        candidates.Where(c => c.Truth != Truth.False && !ReferenceEquals(c.Router, winner))
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

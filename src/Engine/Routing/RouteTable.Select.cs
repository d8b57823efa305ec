using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose.Engine.Routing;

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

public sealed partial class RouteTable
{
    private readonly ConcurrentDictionary<string, EntryPointPlan> plans = new(StringComparer.Ordinal);

    /// <summary>
    /// The same decision as <see cref="Decide"/>, in the same order of stages, over routers sorted
    /// once per entry point, with no allocation and no explanation: the proxy's per-connection call.
    /// </summary>
    public RouteSelection Select(string entryPoint, in RouteQuery query, bool tls)
    {
        EntryPointPlan plan = plans.GetOrAdd(entryPoint, BuildPlan);
        if (!tls)
        {
            RouteSelection tcp = First(plan.PlainTcp, query);
            return tcp.Router is not null ? tcp : First(plan.PlainHttp, query);
        }

        if (plan.ForwardsUnread)
        {
            return First(plan.PlainTcp, query);
        }

        if (query.Alpn is not null && Contains(query.Alpn, "acme-tls/1"))
        {
            return new RouteSelection(null, false, acmeTlsAlpn: true);
        }

        if (query.ServerName.Length > 0)
        {
            foreach (CompiledRouter https in plan.Https)
            {
                if (https.Rule!.HostDomainsCover(query.ServerName))
                {
                    return First(plan.Https, query);
                }
            }
        }

        RouteSelection named = First(plan.TlsTcpNamed, query);
        if (named.Router is not null)
        {
            return named;
        }

        return plan.HttpsCatchAll ? First(plan.Https, query) : First(plan.TlsTcpCatchAll, query);
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

    /// <summary>The first router that matches, by priority; failing that, the first that might (conditional).</summary>
    private static RouteSelection First(CompiledRouter[] routers, in RouteQuery query)
    {
        CompiledRouter? firstUnknown = null;
        foreach (CompiledRouter router in routers)
        {
            Truth truth = router.Rule!.Evaluate(query);
            if (truth == Truth.True)
            {
                return new RouteSelection(router, false, false);
            }

            if (truth == Truth.Unknown)
            {
                firstUnknown ??= router;
            }
        }

        return new RouteSelection(firstUnknown, firstUnknown is not null, false);
    }

    private EntryPointPlan BuildPlan(string entryPoint)
    {
        // OrderByDescending is stable: routers of equal priority keep the order they were given in, as in Decide.
        CompiledRouter[] Sorted(Func<CompiledRouter, bool> where) =>
            OnEntryPoint(entryPoint).Where(where).OrderByDescending(r => r.Priority).ToArray();

        CompiledRouter[] https = Sorted(r => r.IsHttps);
        CompiledRouter[] tlsTcp = Sorted(r => r.IsTlsTcp);
        CompiledRouter[] plainTcp = Sorted(r => r.IsPlainTcp);
        return new EntryPointPlan(
            plainTcp,
            Sorted(r => r.IsPlainHttp),
            tlsTcp.Where(r => !r.Rule!.IsCatchAll).ToArray(),
            tlsTcp.Where(r => r.Rule!.IsCatchAll).ToArray(),
            https,
            https.Any(r => r.Rule!.HostDomains.Count == 0),
            plainTcp.Length > 0 && tlsTcp.Length == 0 && https.Length == 0);
    }

    private sealed record EntryPointPlan(
        CompiledRouter[] PlainTcp,
        CompiledRouter[] PlainHttp,
        CompiledRouter[] TlsTcpNamed,
        CompiledRouter[] TlsTcpCatchAll,
        CompiledRouter[] Https,
        bool HttpsCatchAll,
        bool ForwardsUnread);
}

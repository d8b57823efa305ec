using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Proxy;

/// <summary>How a listener reads the first bytes before routing.</summary>
public enum ListenerKind
{
    /// <summary>Reads the ClientHello and routes by SNI; forwards the bytes untouched.</summary>
    Tls,
    /// <summary>Reads the request head and routes by Host; forwards the bytes untouched.</summary>
    Http,
    /// <summary>Reads nothing: one port, one target.</summary>
    Tcp,
}

/// <summary>A socket the proxy listens on, and the entry point whose routers decide for it.</summary>
public sealed record ListenerSpec(ListenerKind Kind, string EntryPoint, int Port);

/// <summary>
/// An immutable routing snapshot: the compiled <see cref="RouteTable"/> (the same one Test-SniRoute
/// decides with), the backend of every router, and the listeners it needs. A reload builds a new
/// one and swaps it in whole; a set that does not build leaves the running one in place.
/// </summary>
public sealed class ProxyRouteSet
{
    private readonly Dictionary<string, string> signatures = new(StringComparer.Ordinal);

    private ProxyRouteSet(RouteTable table, IReadOnlyList<ListenerSpec> listeners, IReadOnlyList<string> warnings)
    {
        Table = table;
        Listeners = listeners;
        Warnings = warnings;
        Served = table.Routers.Where(r => r.Definition.Backend is not null).Select(r => r.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        foreach (CompiledRouter router in table.Routers)
        {
            signatures.TryAdd(router.Name, $"{router.Definition.Rule} {router.Priority} {router.Definition.Backend}");
        }
    }

    public RouteTable Table { get; }

    public IReadOnlyList<ListenerSpec> Listeners { get; }

    /// <summary>Routers that take part in decisions but cannot be served (said once, by name, when the set is built).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The routers served, by name: an exposure writes one or two per protocol (exact names, wildcards).</summary>
    public IReadOnlyList<string> Served { get; }

    public int RouteCount => Served.Count;

    /// <summary>What a served router is, to tell a changed one on reload: its rule, priority and backend.</summary>
    public string Describe(string router) => signatures.TryGetValue(router, out string? signature) ? signature : string.Empty;

    /// <summary>Builds the snapshot from model objects alone.</summary>
    public static ProxyRouteSet? Build(IReadOnlyList<IExposeResource> resources, SniProxyOptions options, out IReadOnlyList<ExposeProblem> errors) =>
        Build(new RouteSource(resources), options, out errors);

    /// <summary>Loads the routes for serving and builds the snapshot, or returns null with every reason the set cannot be served.</summary>
    public static ProxyRouteSet? Build(RouteSource source, SniProxyOptions options, out IReadOnlyList<ExposeProblem> errors)
    {
        if (source.IsEmpty)
        {
            // A file that could not be read says why itself; "nothing to forward" is for when nothing failed.
            errors = source.Errors.Count > 0 ? source.Errors.ToList() : new List<ExposeProblem>
            {
                new(ErrorIds.NoProxyRoutes, ExposeErrorKind.InvalidArgument, "There is nothing to forward: no ExposedHost or TcpForward, and no route in the files, was given.", null),
            };
            return null;
        }

        return Build(source.Load(RouteUse.Serving, options.TraefikVersion), options, out errors);
    }

    /// <summary>Builds the snapshot from routes loaded for serving, or returns null with every reason the set cannot be served.</summary>
    public static ProxyRouteSet? Build(LoadedRoutes loaded, SniProxyOptions options, out IReadOnlyList<ExposeProblem> errors)
    {
        var problems = new List<ExposeProblem>(loaded.Errors);
        errors = problems;
        foreach (CompiledRouter rejected in loaded.Table.Rejected)
        {
            problems.Add(new ExposeProblem(ErrorIds.InvalidRule, ExposeErrorKind.InvalidData, $"The rule of {rejected.Name} does not compile: {rejected.Diagnostics[0]}.", rejected.Name));
        }

        var listeners = new List<ListenerSpec>();
        foreach (ServiceTarget target in loaded.Targets)
        {
            foreach (ServicePortTarget port in target.Ports)
            {
                listeners.Add(port.Protocol == RouterProtocol.Http ? new ListenerSpec(ListenerKind.Http, port.EntryPoint, options.HttpPort ?? port.PublicPort)
                    : port.Tls ? new ListenerSpec(ListenerKind.Tls, port.EntryPoint, options.HttpsPort ?? port.PublicPort)
                    : new ListenerSpec(ListenerKind.Tcp, port.EntryPoint, port.PublicPort + options.TcpPortOffset));
            }
        }

        var distinct = listeners.Distinct().ToList();
        foreach (var clash in distinct.Where(l => l.Port != 0).GroupBy(l => l.Port).Where(g => g.Count() > 1))
        {
            problems.Add(new ExposeProblem(ErrorIds.DuplicatePublicPort, ExposeErrorKind.InvalidArgument,
                $"Port {clash.Key} is wanted by {string.Join(" and ", clash.Select(l => $"a {l.Kind} listener for entry point '{l.EntryPoint}'"))}; one socket cannot be both.", clash.Key,
                "Give the exposures that share an entry point the same public ports, and other entry points other ports."));
        }

        foreach (ListenerSpec listener in distinct.Where(l => l.Port < 0 || l.Port > 65535))
        {
            problems.Add(new ExposeProblem(ErrorIds.InvalidPort, ExposeErrorKind.InvalidArgument, $"Port {listener.Port} for entry point '{listener.EntryPoint}' is outside 0-65535 (0: any free port).", listener.Port));
        }

        return problems.Count > 0 ? null : new ProxyRouteSet(loaded.Table, distinct, loaded.Warnings);
    }
}

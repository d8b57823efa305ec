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

/// <summary>Where a route's connections go.</summary>
public sealed class ProxyBackend
{
    private readonly string description;

    public ProxyBackend(IReadOnlyList<IPEndPoint> targets, ProxyProtocolVersion proxyProtocol)
    {
        Targets = targets;
        ProxyProtocol = proxyProtocol;
        description = string.Join(", ", targets.Select(t => t.ToString()));
    }

    public IReadOnlyList<IPEndPoint> Targets { get; }

    public ProxyProtocolVersion ProxyProtocol { get; }

    public override string ToString() => description;
}

/// <summary>
/// An immutable routing snapshot: the compiled <see cref="RouteTable"/> (the same one Test-SniRoute
/// decides with), the backend of every router, and the listeners it needs. A reload builds a new
/// one and swaps it in whole; a set that does not build leaves the running one in place.
/// </summary>
public sealed class ProxyRouteSet
{
    private ProxyRouteSet(RouteTable table, IReadOnlyDictionary<string, ProxyBackend> backends, IReadOnlyList<ListenerSpec> listeners)
    {
        Table = table;
        Backends = backends;
        Listeners = listeners;
    }

    public RouteTable Table { get; }

    public IReadOnlyDictionary<string, ProxyBackend> Backends { get; }

    public IReadOnlyList<ListenerSpec> Listeners { get; }

    /// <summary>The routers served: an exposure writes one or two per protocol (exact names, wildcards).</summary>
    public int RouteCount => Backends.Count;

    /// <summary>Builds the snapshot from model objects alone.</summary>
    public static ProxyRouteSet? Build(IReadOnlyList<IExposeResource> resources, SniProxyOptions options, out IReadOnlyList<ClusterExposeException> errors) =>
        Build(new ProxyRouteSource(resources), options, out errors);

    /// <summary>Builds the snapshot, or returns null with every reason the set cannot be served.</summary>
    public static ProxyRouteSet? Build(ProxyRouteSource source, SniProxyOptions options, out IReadOnlyList<ClusterExposeException> errors)
    {
        var problems = new List<ClusterExposeException>(source.Errors);
        errors = problems;
        if (source.IsEmpty)
        {
            problems.Add(new ClusterExposeException(ErrorIds.NoProxyRoutes, ExposeErrorKind.InvalidArgument, "There is nothing to forward: no ExposedHost or TcpForward was given.", null));
            return null;
        }

        // A LoadBalancer forward is a port forward all the same; the proxy serves it as one.
        var asRouted = source.Resources.Select(r => r is TcpForward { Mode: TcpForwardMode.LoadBalancer } f
            ? new TcpForward(f.Name, f.Port, f.TargetAddress, f.TargetPort, f.Namespace, TcpForwardMode.TraefikEntryPoint, f.EntryPoint.Length > 0 ? f.EntryPoint : null, f.ProxyProtocol, f.Flavor)
            : r).ToList();
        var reading = new RouterReading();
        IReadOnlyList<TraefikRouteObject> objects = asRouted.Count > 0 ? RouterReader.FromResources(asRouted, reading, forLocalForwarding: true) : Array.Empty<TraefikRouteObject>();
        problems.AddRange(reading.Errors);
        if (problems.Count > 0)
        {
            return null;
        }

        RouterReader.ReadRouters(objects, TraefikVersion.V3, reading);
        RouteTable table = RouteTable.Build(reading.Routers.Concat(source.Routers));
        foreach (CompiledRouter rejected in table.Rejected)
        {
            problems.Add(new ClusterExposeException(ErrorIds.InvalidRule, ExposeErrorKind.InvalidData, $"The rule of {rejected.Name} does not compile: {rejected.Diagnostics[0]}.", rejected.Name));
        }

        // Each router's backend is the one of the Service it names (namespace, name, and whether the
        // router is HTTP or TCP), not a convention about router names: an exposure may write several
        // routes, a file any number, and each is served.
        var byService = new Dictionary<(string Namespace, string Service, RouterProtocol Protocol), ProxyBackend>();
        var listeners = new List<ListenerSpec>();
        foreach (ServiceTarget target in asRouted.Select(ServiceTarget.Of).Concat(source.Targets))
        {
            foreach (ServicePortTarget port in target.Ports)
            {
                bool http = port.Protocol == RouterProtocol.Http;
                byService[(target.Namespace, target.Name, port.Protocol)] = new ProxyBackend(Targets(target.Addresses, port.TargetPort), http ? ProxyProtocolVersion.None : port.ProxyProtocol);
                listeners.Add(http ? new ListenerSpec(ListenerKind.Http, port.EntryPoint, options.HttpPort ?? port.PublicPort)
                    : port.Tls ? new ListenerSpec(ListenerKind.Tls, port.EntryPoint, options.HttpsPort ?? port.PublicPort)
                    : new ListenerSpec(ListenerKind.Tcp, port.EntryPoint, port.PublicPort + options.TcpPortOffset));
            }
        }

        var backends = new Dictionary<string, ProxyBackend>(StringComparer.Ordinal);
        foreach (CompiledRouter router in table.Routers)
        {
            string routerNamespace = router.Name.Substring(0, Math.Max(0, router.Name.IndexOf('/')));

            // A router whose TLS Traefik would terminate is not served: the proxy passes bytes through.
            if (router.Definition.Tls != RouterTls.Terminate && router.Definition.Service is string service
                && byService.TryGetValue((routerNamespace, service, router.Definition.Protocol), out ProxyBackend? backend))
            {
                backends[router.Name] = backend;
            }
        }

        var distinct = listeners.Distinct().ToList();
        foreach (var clash in distinct.Where(l => l.Port != 0).GroupBy(l => l.Port).Where(g => g.Count() > 1))
        {
            problems.Add(new ClusterExposeException(ErrorIds.DuplicatePublicPort, ExposeErrorKind.InvalidArgument,
                $"Port {clash.Key} is wanted by {string.Join(" and ", clash.Select(l => $"a {l.Kind} listener for entry point '{l.EntryPoint}'"))}; one socket cannot be both.", clash.Key,
                "Give the exposures that share an entry point the same public ports, and other entry points other ports."));
        }

        foreach (ListenerSpec listener in distinct.Where(l => l.Port < 0 || l.Port > 65535))
        {
            problems.Add(new ClusterExposeException(ErrorIds.InvalidPort, ExposeErrorKind.InvalidArgument, $"Port {listener.Port} for entry point '{listener.EntryPoint}' is outside 0-65535 (0: any free port).", listener.Port));
        }

        if (problems.Count > 0)
        {
            return null;
        }

        return new ProxyRouteSet(table, backends, distinct);
    }

    private static IReadOnlyList<IPEndPoint> Targets(IEnumerable<string> addresses, int port) =>
        addresses.Select(a => new IPEndPoint(IPAddress.Parse(a), port)).ToList();
}

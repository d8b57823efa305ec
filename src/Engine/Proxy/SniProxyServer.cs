using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using ClusterExpose.Engine.Proxy.Transport;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// The in-process forwarder: listeners for TLS (by SNI), HTTP (by Host) and TCP (by port), one
/// immutable <see cref="ProxyRouteSet"/> swapped atomically on reload, connection limits, graceful
/// stop. Routing uses the same <see cref="Routing.RouteTable"/> as Test-SniRoute.
/// </summary>
public sealed class SniProxyServer
{
    /// <summary>The buffer a read posted while a relay is active uses: a TLS record or a small request fits.</summary>
    internal const int PostedReadBytes = 4096;

    /// <summary>
    /// Posted-read buffers kept for reuse. Every relay that starts after a hello holds two for its
    /// first second, so a burst of new connections has hundreds out at once, far more than the
    /// shared pool keeps (a few dozen per size): without a pool of their own each one would be a new
    /// array, and a thousand new connections would leave megabytes of garbage that an idle proxy
    /// never collects. At most 1024 are kept (4 MiB).
    /// </summary>
    private static readonly ArrayPool<byte> PostedReadPool = ArrayPool<byte>.Create(PostedReadBytes, 1024);

    private readonly Dictionary<ListenerSpec, List<ProxyListener>> listeners = new();
    private readonly ConcurrentDictionary<ProxyConnection, byte> connections = new();
    private readonly ConcurrentDictionary<IPAddress, int> perSource = new();
    private readonly Timer sweep;
    private readonly object gate = new();
    private readonly RecentEventsLogger? recentEvents;
    private ProxyRouteSet routes;
    private int active;
    private int pendingHandshakes;
    private long bufferBytes;
    private int state = (int)SniProxyState.Running;
    private MetricsEndpoint? metrics;

    private SniProxyServer(int id, ProxyRouteSet routes, SniProxyOptions options, ILogger logger)
    {
        Id = id;
        this.routes = routes;
        Options = options;
        SocketEngine = SocketEngine.For(options.SocketEngine);
        Logger = logger;
        recentEvents = logger as RecentEventsLogger;

        // One sweep for every connection's deadlines instead of a timer per connection: cheaper to
        // arm, and an idle connection holds no timer at all.
        long shortest = (long)Math.Min(options.HandshakeTimeout.TotalMilliseconds, options.IdleTimeout.TotalMilliseconds);
        long period = Math.Clamp(shortest / 4, 25, 1000);
        sweep = new Timer(_ => SweepDeadlines(), null, period, period);
    }

    private void SweepDeadlines()
    {
        long now = Environment.TickCount64;
        foreach (ProxyConnection connection in connections.Keys)
        {
            connection.CheckDeadlines(now);
        }
    }

    public int Id { get; }

    public SniProxyOptions Options { get; }

    public DateTime StartedAt { get; } = DateTime.UtcNow;

    public string? WatchedPath { get; set; }

    public SniProxyState State => (SniProxyState)Volatile.Read(ref state);

    /// <summary>The routes new connections are decided by; connections already relaying keep their backend.</summary>
    public ProxyRouteSet Routes => Volatile.Read(ref routes);

    internal ILogger Logger { get; }

    /// <summary>What carries the connections: the proxy's own epoll loop on Linux, the runtime's sockets elsewhere.</summary>
    internal SocketEngine SocketEngine { get; }

    internal ProxyCounters Counters { get; } = new();

    internal int ActiveConnections => Volatile.Read(ref active);

    internal long BufferBytes => Interlocked.Read(ref bufferBytes);

    /// <summary>Where /metrics, /healthz and /readyz are served, when they are.</summary>
    public string? MetricsAt => metrics?.Endpoint;


    /// <summary>New routes that do not build: counted and said; the running ones keep serving.</summary>
    internal void RejectReload(string problem)
    {
        Counters.ReloadRejected();
        ProxyLog.ReloadRejected(Logger, problem);
    }

    /// <summary>Binds every listener the routes need, or none: a port that cannot be had fails the start.</summary>
    public static SniProxyServer Start(int id, ProxyRouteSet routes, SniProxyOptions options, ILogger? logger = null)
    {
        string? problem = options.Validate();
        if (problem is not null)
        {
            throw new ClusterExposeException(ErrorIds.InvalidProxyOption, ExposeErrorKind.InvalidArgument, "The proxy options are not usable: " + problem, null);
        }

        var server = new SniProxyServer(id, routes, options, logger ?? NullLogger.Instance);
        server.BindAll(routes.Listeners);
        if (options.MetricsEndpoint is { } metricsAt)
        {
            try
            {
                server.metrics = MetricsEndpoint.Start(server, metricsAt);
            }
            catch (SocketException exception)
            {
                server.StopAsync(TimeSpan.Zero).GetAwaiter().GetResult();
                throw new ClusterExposeException(ErrorIds.ListenFailed, ExposeErrorKind.ResourceExists,
                    $"Cannot serve metrics on {metricsAt}: {exception.Message}", metricsAt.Port, "Stop what holds the port, or choose another -MetricsPort.", exception);
            }
        }

        server.Counters.RoutesLoaded(reload: false);
        ProxyLog.ProxyStarted(server.Logger, id, routes.RouteCount);
        return server;
    }

    /// <summary>
    /// Swaps in new routes. New listeners are bound first; if one cannot be, nothing changes and the
    /// old routes keep serving. Listeners no longer wanted stop accepting; their connections carry on.
    /// </summary>
    public void Reload(ProxyRouteSet next)
    {
        lock (gate)
        {
            if (State != SniProxyState.Running)
            {
                throw new ClusterExposeException(ErrorIds.ProxyNotFound, ExposeErrorKind.InvalidArgument, $"Proxy {Id} is {State}; it takes no new routes.", Id);
            }

            var added = next.Listeners.Where(l => !listeners.ContainsKey(l)).ToList();
            var removed = listeners.Keys.Where(l => !next.Listeners.Contains(l)).ToList();
            BindAll(added);
            ProxyRouteSet previous = Routes;
            Volatile.Write(ref routes, next);
            Counters.RoutesLoaded(reload: true);
            foreach (ListenerSpec spec in removed)
            {
                foreach (ProxyListener listener in listeners[spec])
                {
                    _ = listener.StopAsync();
                    ProxyLog.ListenerStopped(Logger, listener.Endpoint);
                }

                listeners.Remove(spec);
            }

            ProxyLog.RoutesReloaded(Logger, next.RouteCount, added: next.Served.Except(previous.Served), removed: previous.Served.Except(next.Served),
                changed: next.Served.Intersect(previous.Served).Where(name => previous.Describe(name) != next.Describe(name)));
        }
    }

    /// <summary>
    /// Stops accepting, lets connections finish until <paramref name="drain"/> has passed (or
    /// <paramref name="hurry"/> says stop now, as a second signal does), then resets the rest.
    /// </summary>
    public async Task StopAsync(TimeSpan drain, CancellationToken hurry = default)
    {
        if (Interlocked.CompareExchange(ref state, (int)SniProxyState.Stopping, (int)SniProxyState.Running) != (int)SniProxyState.Running)
        {
            while (State != SniProxyState.Stopped)
            {
                await Task.Delay(20).ConfigureAwait(false);
            }

            return;
        }

        List<ProxyListener> all;
        lock (gate)
        {
            all = listeners.Values.SelectMany(l => l).ToList();
            listeners.Clear();
        }

        await Task.WhenAll(all.Select(l => l.StopAsync())).ConfigureAwait(false);
        ProxyLog.DrainStarted(Logger, connections.Count, drain);

        // HTTP connections waiting for a next request have nothing to finish: they close now.
        foreach (ProxyConnection connection in connections.Keys)
        {
            connection.Drain();
        }

        DateTime deadline = DateTime.UtcNow + drain;
        while (!connections.IsEmpty && DateTime.UtcNow < deadline && !hurry.IsCancellationRequested)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        int reset = 0;
        foreach (ProxyConnection connection in connections.Keys)
        {
            connection.Abort("drained");
            reset++;
        }

        ProxyLog.DrainFinished(Logger, reset);

        while (!connections.IsEmpty)
        {
            await Task.Delay(10).ConfigureAwait(false);
        }

        await sweep.DisposeAsync().ConfigureAwait(false);
        metrics?.Stop();

        Volatile.Write(ref state, (int)SniProxyState.Stopped);
        ProxyLog.ProxyStopped(Logger, Id, Counters.Admitted, Counters.Routes.Values.Sum(r => r.FromClients), Counters.Routes.Values.Sum(r => r.ToClients), Counters.Rejections);
    }

    public SniProxyInfo Describe()
    {
        List<ProxyListener> all;
        lock (gate)
        {
            all = listeners.Values.SelectMany(l => l).ToList();
        }

        ProxyRouteSet current = Routes;
        var routeInfos = current.Table.Routers.Where(r => r.Definition.Backend is not null).Select(r =>
        {
            RouteCounters c = Counters.Route(r.Name);
            return new SniProxyRouteInfo
            {
                Router = r.Name,
                Backend = r.Definition.Backend!.ToString(),
                ActiveConnections = c.Active,
                TotalConnections = c.Total,
                BytesFromClients = c.FromClients,
                BytesToClients = c.ToClients,
                BackendFailures = c.BackendFailures,
                Requests = c.Requests,
            };
        }).OrderBy(r => r.Router, StringComparer.Ordinal).ToList();

        return new SniProxyInfo
        {
            Id = Id,
            State = State,
            StartedAt = StartedAt,
            WatchedPath = WatchedPath,
            MetricsEndpoint = MetricsAt,
            RouteCount = current.RouteCount,
            Listeners = all.Select(l => new SniProxyListenerInfo
            {
                Kind = l.Spec.Kind.ToString(),
                EntryPoint = l.Spec.EntryPoint,
                Endpoint = l.Endpoint,
                ActiveConnections = l.Counters.Active,
                TotalConnections = l.Counters.Total,
                MeanPeekMs = l.Counters.MeanPeekMs,
            }).ToList(),
            ActiveConnections = Volatile.Read(ref active),
            BusyRelays = connections.Keys.Count(c => c.Busy),
            BufferBytes = Interlocked.Read(ref bufferBytes),
            // The proxy's totals count what routes and listeners a reload removed too: they never go down.
            TotalConnections = Counters.Admitted,
            BytesFromClients = Counters.Routes.Values.Sum(r => r.FromClients),
            BytesToClients = Counters.Routes.Values.Sum(r => r.ToClients),
            Rejections = Enum.GetValues<RejectionReason>()
                .Where(r => Counters.RejectionCount(r) > 0)
                .ToDictionary(r => r.ToString(), Counters.RejectionCount),
            Routes = routeInfos,
            RecentEvents = recentEvents?.Snapshot() ?? Array.Empty<string>(),
        };
    }

    /// <summary>Takes an accepted socket, or closes it at once when a limit says no.</summary>
    internal void Admit(ProxyListener listener, ProxySocket socket)
    {
        IPAddress? source = socket.RemoteEndPoint?.Address;
        if (Interlocked.Increment(ref active) > Options.MaxConnections)
        {
            Interlocked.Decrement(ref active);
            RejectAtAccept(listener, socket, RejectionReason.ConnectionLimit);
            return;
        }

        if (source is not null && perSource.AddOrUpdate(source, 1, (_, n) => n + 1) > Options.MaxConnectionsPerSource)
        {
            Release(source);
            Interlocked.Decrement(ref active);
            RejectAtAccept(listener, socket, RejectionReason.SourceLimit);
            return;
        }

        var connection = new ProxyConnection(this, listener, socket);
        connections[connection] = 0;
        Counters.Admit();
        listener.Counters.Opened();
        _ = connection.RunAsync();
    }

    internal bool EnterHandshake()
    {
        if (Interlocked.Increment(ref pendingHandshakes) > Options.MaxPendingHandshakes)
        {
            Interlocked.Decrement(ref pendingHandshakes);
            return false;
        }

        return true;
    }

    internal void LeaveHandshake() => Interlocked.Decrement(ref pendingHandshakes);

    /// <summary>A buffer for one connection, counted until it is returned, so the memory connections hold in buffers can be shown.</summary>
    internal byte[] RentBuffer(int size)
    {
        byte[] buffer = size == PostedReadBytes ? PostedReadPool.Rent(size) : ArrayPool<byte>.Shared.Rent(size);
        Interlocked.Add(ref bufferBytes, buffer.Length);
        return buffer;
    }

    internal void ReturnBuffer(byte[] buffer)
    {
        Interlocked.Add(ref bufferBytes, -buffer.Length);
        (buffer.Length == PostedReadBytes ? PostedReadPool : ArrayPool<byte>.Shared).Return(buffer);
    }

    /// <summary>The bookkeeping when a connection ends, called by the connection itself (no extra task per connection).</summary>
    internal void Closed(ProxyListener listener, ProxyConnection connection)
    {
        connections.TryRemove(connection, out _);
        listener.Counters.Closed();
        if (connection.SourceAddress is IPAddress source)
        {
            Release(source);
        }

        Interlocked.Decrement(ref active);
    }

    private void Release(IPAddress source)
    {
        while (perSource.TryGetValue(source, out int count))
        {
            if (count <= 1 ? perSource.TryRemove(new KeyValuePair<IPAddress, int>(source, count)) : perSource.TryUpdate(source, count - 1, count))
            {
                return;
            }
        }
    }

    private void RejectAtAccept(ProxyListener listener, ProxySocket socket, RejectionReason reason)
    {
        Counters.Rejected(reason);
        ProxyLog.ConnectionRejected(Logger, reason, socket.RemoteEndPoint, listener.Endpoint);
        socket.Dispose();
    }

    private void BindAll(IEnumerable<ListenerSpec> specs)
    {
        var bound = new List<(ListenerSpec Spec, ProxyListener Listener)>();
        try
        {
            foreach (ListenerSpec spec in specs)
            {
                foreach (IPAddress address in Options.EffectiveListenAddresses)
                {
                    try
                    {
                        bound.Add((spec, ProxyListener.Bind(this, spec, address, Options.ListenBacklog)));
                    }
                    catch (SocketException exception)
                    {
                        throw new ClusterExposeException(ErrorIds.ListenFailed, ExposeErrorKind.ResourceExists,
                            $"Cannot listen on {new IPEndPoint(address, spec.Port)} for entry point '{spec.EntryPoint}': {exception.Message}", spec.Port,
                            spec.Port < 1024 ? "Ports below 1024 need root or CAP_NET_BIND_SERVICE; or choose other ports with -HttpPort / -HttpsPort." : "Stop what holds the port, or choose another.", exception);
                    }
                }
            }
        }
        catch
        {
            foreach (var (_, listener) in bound)
            {
                _ = listener.StopAsync();
            }

            throw;
        }

        foreach (var (spec, listener) in bound)
        {
            if (!listeners.TryGetValue(spec, out List<ProxyListener>? list))
            {
                listeners[spec] = list = new List<ProxyListener>();
            }

            list.Add(listener);
            listener.Start();
            ProxyLog.ListenerStarted(Logger, spec.Kind.ToString(), listener.Endpoint);
        }
    }
}

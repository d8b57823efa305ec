using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Proxy.Transport;
using ClusterExpose.Engine.Routing;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// One client connection: read just enough to route (ClientHello, request head, or nothing), pick
/// the router with the route table, connect to its backend, send the PROXY header and the bytes
/// already read, then relay both ways until both sides are done. Every failure before the backend
/// is reached closes the client (with a TLS alert or an HTTP status where one fits) and is counted.
/// </summary>
internal sealed class ProxyConnection : IRelayObserver, IBackendHolder
{
    /// <summary>How long the relay must be quiet before its posted reads give their buffers back.</summary>
    private const long QuietAfterMs = 1000;

    private readonly SniProxyServer server;
    private readonly ProxyListener listener;
    private readonly ProxySocket client;
    private readonly IPEndPoint? clientEndPoint;
    private readonly FirstBytesReader firstBytes;
    private long handshakeDeadline;
    private ProxySocket? backend;
    private HttpSession? http;
    private RouteCounters? routeCounters;
    private int state;
    private long lastActivity;
    private int expired;
    private int aborted;
    private int runningPumps;
    private int finishedDirections;
    private CancellationTokenSource? activity;

    // What the access log says of the connection (kept whether or not it is on: a few stores and adds).
    private readonly long openedAt = Stopwatch.GetTimestamp();
    private string? routedName;
    private string? routeName;
    private string? targetName;
    private long bytesFromClient;
    private long bytesToClient;
    private string? ending;
    private bool loggedPerRequest;

    public ProxyConnection(SniProxyServer server, ProxyListener listener, ProxySocket client)
    {
        this.server = server;
        this.listener = listener;
        this.client = client;
        clientEndPoint = client.RemoteEndPoint;
        firstBytes = FirstBytesReader.For(listener.Spec.Kind);
        handshakeDeadline = Environment.TickCount64 + (long)server.Options.HandshakeTimeout.TotalMilliseconds;
    }

    /// <summary>
    /// Called by the server's sweep (no timer per connection): ends a handshake that ran past its
    /// deadline, or a relay idle for longer than the idle timeout; and takes the posted reads (and
    /// their buffers) away from a relay that has been quiet for a second.
    /// </summary>
    public void CheckDeadlines(long now)
    {
        switch (State)
        {
            case ConnectionState.Reading when now > Volatile.Read(ref handshakeDeadline) && Interlocked.Exchange(ref expired, 1) == 0:
                // Wakes the pending read with EOF; the reader sees the flag and answers as a timeout.
                TryShutdown(client, SocketShutdown.Receive);
                break;
            case ConnectionState.Waiting when now - Volatile.Read(ref lastActivity) > (long)server.Options.KeepAliveTimeout.TotalMilliseconds:
                Drain();
                break;
            case ConnectionState.Relaying when now - Volatile.Read(ref lastActivity) > (long)server.Options.IdleTimeout.TotalMilliseconds:
                Abort("timeout");
                break;
            case ConnectionState.Relaying when now - Volatile.Read(ref lastActivity) > QuietAfterMs && Volatile.Read(ref activity) is not null:
                Interlocked.Exchange(ref activity, null)?.Cancel();
                break;
        }
    }

    /// <summary>
    /// Ends the connection now, abortively: both sockets are closed with a zero linger, so each peer
    /// sees a reset, and every pending operation completes at once.
    /// </summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref aborted, 1) != 0)
        {
            return;
        }

        Reset(client);
        client.Dispose();
        ResetAndDispose(Volatile.Read(ref backend));
        Volatile.Read(ref http)?.Abort();
    }

    /// <summary>Ends the connection now, and says why in the access log (timeout, drained).</summary>
    public void Abort(string why)
    {
        Interlocked.CompareExchange(ref ending, why, null);
        Abort();
    }

    /// <summary>
    /// The proxy is stopping: a keep-alive connection waiting for its next request ends now (a
    /// request in flight finishes first, and the session then closes).
    /// </summary>
    public void Drain()
    {
        if (State == ConnectionState.Waiting && Interlocked.Exchange(ref expired, 1) == 0)
        {
            TryShutdown(client, SocketShutdown.Receive);
        }
    }

    /// <summary>
    /// Moves an HTTP session's connection to another state: Reading starts a new head deadline,
    /// Waiting starts the keep-alive timeout. False when the proxy is stopping and a waiting
    /// connection should end instead.
    /// </summary>
    internal bool Enter(ConnectionState next)
    {
        if (next == ConnectionState.Reading)
        {
            Volatile.Write(ref handshakeDeadline, Environment.TickCount64 + (long)server.Options.HandshakeTimeout.TotalMilliseconds);
        }

        Volatile.Write(ref lastActivity, Environment.TickCount64);
        State = next;
        return next != ConnectionState.Waiting || server.State == SniProxyState.Running;
    }

    /// <summary>The sweep ended a wait or a read (deadline, keep-alive timeout, drain).</summary>
    internal bool Expired => Volatile.Read(ref expired) != 0;

    /// <summary>Bytes moved: the idle and keep-alive clocks start again.</summary>
    internal void Touch() => Volatile.Write(ref lastActivity, Environment.TickCount64);

    internal IPEndPoint? ClientEndPoint => clientEndPoint;

    private bool Aborted => Volatile.Read(ref aborted) != 0;

    /// <summary>Where the connection is; read by the server's sweep while the connection moves on.</summary>
    private ConnectionState State
    {
        get => (ConnectionState)Volatile.Read(ref state);
        set => Volatile.Write(ref state, (int)value);
    }

    public IPAddress? SourceAddress => clientEndPoint?.Address;

    /// <summary>Relaying with traffic lately: the pumps keep posted reads, each with a small buffer.</summary>
    public bool Busy => State == ConnectionState.Relaying && Volatile.Read(ref activity) is not null;

    public async Task RunAsync()
    {
        byte[]? peeked = null;
        bool relaying = false;
        try
        {
            long accepted = openedAt;
            int peekedLength = 0;
            RouteQuery query;
            int limit = firstBytes.Limit(server.Options);
            if (limit == 0)
            {
                query = firstBytes.Judge(ReadOnlySpan<byte>.Empty, roomLeft: false, clientEndPoint?.Address, server.Options, out _)!.Value;
            }
            else
            {
                if (!server.EnterHandshake())
                {
                    await RejectAsync(RejectionReason.PendingLimit).ConfigureAwait(false);
                    return;
                }

                try
                {
                    peeked = server.RentBuffer(limit);
                    (RouteQuery? read, peekedLength) = await ReadUntilRoutableAsync(peeked, limit).ConfigureAwait(false);
                    if (read is null)
                    {
                        return;
                    }

                    query = read.Value;
                }
                finally
                {
                    server.LeaveHandshake();
                }

                listener.Counters.Peeked(Stopwatch.GetTimestamp() - accepted);
            }

            routedName = query.ServerName;

            if (firstBytes.RoutesEveryRequest)
            {
                // HTTP: each request on the connection is routed by its own Host (and logged on its own); the session takes the buffer.
                loggedPerRequest = true;
                var session = new HttpSession(server, this, listener, client);
                Volatile.Write(ref http, session);
                if (Aborted)
                {
                    session.Abort();
                }

                byte[] head = peeked!;
                peeked = null;
                HttpTunnel? tunnel = await session.RunAsync(head, peekedLength).ConfigureAwait(false);
                if (tunnel is HttpTunnel upgraded)
                {
                    // The tunnel is a connection of its own in the access log, from the upgrade on.
                    (loggedPerRequest, routedName, routeName, targetName) = (false, upgraded.Host, upgraded.Route, upgraded.Target);
                    Volatile.Write(ref backend, upgraded.Backend);
                    routeCounters = upgraded.Counters;
                    relaying = StartRelay(upgraded.Backend);
                }

                return;
            }

            RouteSelection selection = server.Routes.Table.Select(listener.Spec.EntryPoint, query, firstBytes.Tls);
            if (selection.Router?.Definition.Backend is not RouteBackend target || selection.Conditional)
            {
                await RejectAsync(firstBytes.NoRoute(query)).ConfigureAwait(false);
                return;
            }

            string router = selection.Router.Name;
            RouteCounters counters = server.Counters.Route(router);
            routeName = router;
            State = ConnectionState.Connecting;
            long connecting = Stopwatch.GetTimestamp();
            RejectionReason? failure = await ConnectAsync(target).ConfigureAwait(false);
            if (failure is not null)
            {
                if (Aborted)
                {
                    return;
                }

                counters.BackendFailed();
                ProxyLog.BackendFailed(server.Logger, router, target.ToString(), null);
                await RejectAsync(failure.Value).ConfigureAwait(false);
                return;
            }

            counters.Connected(Stopwatch.GetTimestamp() - connecting);
            ProxyLog.ConnectionRouted(server.Logger, clientEndPoint, router, target.ToString());
            counters.Opened();
            routeCounters = counters;
            targetName = backend?.RemoteEndPoint?.ToString();
            bool opened = await SendOpeningAsync(backend!, target, peeked, peekedLength, counters).ConfigureAwait(false);

            // The hello or request head has gone on: its buffer goes back now, not when the
            // connection ends, so that a relay holds no buffer while it is quiet.
            if (peeked is not null)
            {
                server.ReturnBuffer(peeked);
                peeked = null;
            }

            relaying = opened && StartRelay(backend!);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client or the stop deadline ended it; nothing is left to tell anyone.
        }
        finally
        {
            if (peeked is not null)
            {
                server.ReturnBuffer(peeked);
            }

            // A relay that started closes the connection itself when its second direction ends.
            if (!relaying)
            {
                Close();
            }
        }
    }

    private void Close()
    {
        if (server.Options.AccessLog && !loggedPerRequest)
        {
            new AccessRecord
            {
                Client = clientEndPoint,
                Listener = listener.Endpoint,
                Name = routedName ?? string.Empty,
                Route = routeName ?? string.Empty,
                Target = targetName ?? string.Empty,
                BytesFromClient = Interlocked.Read(ref bytesFromClient),
                BytesToClient = Interlocked.Read(ref bytesToClient),
                DurationMs = Stopwatch.GetElapsedTime(openedAt).TotalMilliseconds,
                Ending = Volatile.Read(ref ending) ?? "closed",
            }.WriteTo(server.Logger);
        }

        routeCounters?.Closed();
        backend?.Dispose();
        client.Dispose();
        server.Closed(listener, this);
    }

    /// <summary>Reads until the ClientHello or request head is whole (or refused); the query to route by, and the bytes read.</summary>
    private async Task<(RouteQuery? Query, int Length)> ReadUntilRoutableAsync(byte[] buffer, int limit)
    {
        int filled = 0;
        while (true)
        {
            int read = await client.ReceiveAsync(buffer.AsMemory(filled, limit - filled)).ConfigureAwait(false);
            if (read == 0 || Volatile.Read(ref expired) != 0)
            {
                if (Volatile.Read(ref expired) != 0 && !Aborted)
                {
                    await RejectAsync(RejectionReason.HandshakeTimeout).ConfigureAwait(false);
                }
                else
                {
                    Count(RejectionReason.ClientGone);
                }

                return (null, 0);
            }

            filled += read;
            RouteQuery? query = firstBytes.Judge(buffer.AsSpan(0, filled), filled < limit, clientEndPoint?.Address, server.Options, out RejectionReason? rejection);
            if (rejection is not null)
            {
                await RejectAsync(rejection.Value).ConfigureAwait(false);
                return (null, 0);
            }

            if (query is not null)
            {
                return (query, filled);
            }
        }
    }

    /// <summary>Connects to one of the route's targets; null on success (the socket is in <see cref="backend"/>), else why not.</summary>
    private async Task<RejectionReason?> ConnectAsync(RouteBackend target)
    {
        (ProxySocket? socket, RejectionReason failure) = await BackendDialer.ConnectAsync(server.SocketEngine, target, server.Options.ConnectTimeout, this).ConfigureAwait(false);
        return socket is null ? failure : null;
    }

    bool IBackendHolder.Aborted => Aborted;

    void IBackendHolder.Dialing(ProxySocket? socket) => Volatile.Write(ref backend, socket);

    /// <summary>Sends the backend the PROXY header the route asks for and the bytes read to route; false when the backend failed.</summary>
    private async Task<bool> SendOpeningAsync(ProxySocket backendSocket, RouteBackend target, byte[]? peeked, int peekedLength, RouteCounters counters)
    {
        if (!await BackendDialer.SendProxyHeaderAsync(backendSocket, target, client).ConfigureAwait(false))
        {
            return false;
        }

        if (peekedLength > 0)
        {
            if (!await SocketPump.SendAllAsync(backendSocket, peeked.AsMemory(0, peekedLength), CancellationToken.None).ConfigureAwait(false))
            {
                return false;
            }

            bytesFromClient += peekedLength;
            counters.AddFromClient(peekedLength);
        }

        return true;
    }

    /// <summary>
    /// Starts both directions and returns: nothing of this method or of <see cref="RunAsync"/> stays
    /// alive through the relay (an idle connection holds its sockets, its two pumps and this object).
    /// The direction that ends second closes the connection. False when nothing was started.
    /// </summary>
    private bool StartRelay(ProxySocket backendSocket)
    {
        Volatile.Write(ref lastActivity, Environment.TickCount64);
        State = ConnectionState.Relaying;
        if (Aborted)
        {
            Reset(client);
            Reset(backendSocket);
            return false;
        }

        int bufferSize = server.Options.BufferSize;
        bool expected = firstBytes.AnswerExpected;

        // Set before either starts: a direction may end before the other has begun.
        Volatile.Write(ref finishedDirections, 0);
        Volatile.Write(ref runningPumps, 2);
        _ = SocketPump.RunAsync(client, backendSocket, bufferSize, SniProxyServer.PostedReadBytes, this, fromClient: true, expected);
        _ = SocketPump.RunAsync(backendSocket, client, bufferSize, SniProxyServer.PostedReadBytes, this, fromClient: false, expected);
        return true;
    }

    void IRelayObserver.Transferred(bool fromClient, int bytes)
    {
        if (fromClient)
        {
            bytesFromClient += bytes;
            routeCounters!.AddFromClient(bytes);
        }
        else
        {
            bytesToClient += bytes;
            routeCounters!.AddToClient(bytes);
        }

        Volatile.Write(ref lastActivity, Environment.TickCount64);
    }

    CancellationToken IRelayObserver.WhileActive()
    {
        Volatile.Write(ref lastActivity, Environment.TickCount64);
        while (true)
        {
            CancellationTokenSource? current = Volatile.Read(ref activity);
            if (current is not null)
            {
                return current.Token;
            }

            var fresh = new CancellationTokenSource();
            if (Interlocked.CompareExchange(ref activity, fresh, null) is null)
            {
                return fresh.Token;
            }
        }
    }

    byte[] IRelayObserver.RentBuffer(int size) => server.RentBuffer(size);

    void IRelayObserver.ReturnBuffer(byte[] buffer) => server.ReturnBuffer(buffer);

    bool IRelayObserver.FinishesLast() => Interlocked.Increment(ref finishedDirections) == 2;

    void IRelayObserver.Ended(PumpOutcome outcome)
    {
        if (outcome != PumpOutcome.SourceClosed)
        {
            // A reset or a failed write: end the other direction too, abortively (each peer sees a reset).
            Interlocked.CompareExchange(ref ending, "reset", null);
            Abort();
        }

        if (Interlocked.Decrement(ref runningPumps) == 0)
        {
            Close();
        }
    }

    private async Task RejectAsync(RejectionReason reason)
    {
        Count(reason);
        if (await SendAnswerAsync(client, firstBytes.Answer(reason)).ConfigureAwait(false))
        {
            TryShutdown(client, SocketShutdown.Send);
        }
    }

    /// <summary>Sends a refusal's answer (a TLS alert, a status line) within two seconds; false when there is none or it did not go.</summary>
    internal static async Task<bool> SendAnswerAsync(ProxySocket client, byte[]? answer)
    {
        if (answer is null)
        {
            return false;
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        return await SocketPump.SendAllAsync(client, answer, deadline.Token).ConfigureAwait(false);
    }

    private void Count(RejectionReason reason)
    {
        Interlocked.CompareExchange(ref ending, "rejected:" + reason, null);
        server.Counters.Rejected(reason);
        ProxyLog.ConnectionRejected(server.Logger, reason, clientEndPoint, listener.Endpoint);
    }

    internal static void ResetAndDispose(ProxySocket? socket)
    {
        if (socket is not null)
        {
            Reset(socket);
            socket.Dispose();
        }
    }

    internal static void TryShutdown(ProxySocket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
        }
    }

    private static void Reset(ProxySocket socket)
    {
        try
        {
            socket.ResetOnClose();
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
        }
    }
}

/// <summary>Where a connection is: reading what it routes by, connecting to the backend, relaying, or (HTTP) waiting for the next request.</summary>
internal enum ConnectionState
{
    Reading,
    Connecting,
    Relaying,
    Waiting,
}

using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Routing;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// One client connection: read just enough to route (ClientHello, request head, or nothing), pick
/// the router with the route table, connect to its backend, send the PROXY header and the bytes
/// already read, then relay both ways until both sides are done. Every failure before the backend
/// is reached closes the client (with a TLS alert or an HTTP status where one fits) and is counted.
/// </summary>
internal sealed class ProxyConnection : IRelayObserver
{
    private const byte AlertHandshakeFailure = 40;
    private const byte AlertUnrecognizedName = 112;
    private const int Reading = 0;
    private const int Connecting = 1;
    private const int Relaying = 2;
    /// <summary>How long the relay must be quiet before its posted reads give their buffers back.</summary>
    private const long QuietAfterMs = 1000;

    private readonly SniProxyServer server;
    private readonly ProxyListener listener;
    private readonly Socket client;
    private readonly IPEndPoint? clientEndPoint;
    private readonly long handshakeDeadline;
    private Socket? backend;
    private RouteCounters? routeCounters;
    private int phase;
    private long lastActivity;
    private int expired;
    private int aborted;
    private int runningPumps;
    private CancellationTokenSource? activity;

    public ProxyConnection(SniProxyServer server, ProxyListener listener, Socket client)
    {
        this.server = server;
        this.listener = listener;
        this.client = client;
        clientEndPoint = client.RemoteEndPoint as IPEndPoint;
        handshakeDeadline = Environment.TickCount64 + (long)server.Options.HandshakeTimeout.TotalMilliseconds;
    }

    /// <summary>
    /// Called by the server's sweep (no timer per connection): ends a handshake that ran past its
    /// deadline, or a relay idle for longer than the idle timeout; and takes the posted reads (and
    /// their buffers) away from a relay that has been quiet for a second.
    /// </summary>
    public void CheckDeadlines(long now)
    {
        switch (Volatile.Read(ref phase))
        {
            case Reading when now > handshakeDeadline && Interlocked.Exchange(ref expired, 1) == 0:
                // Wakes the pending read with EOF; the reader sees the flag and answers as a timeout.
                TryShutdown(client, SocketShutdown.Receive);
                break;
            case Relaying when now - Volatile.Read(ref lastActivity) > (long)server.Options.IdleTimeout.TotalMilliseconds:
                Abort();
                break;
            case Relaying when now - Volatile.Read(ref lastActivity) > QuietAfterMs && Volatile.Read(ref activity) is not null:
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
        Socket? other = Volatile.Read(ref backend);
        if (other is not null)
        {
            Reset(other);
            other.Dispose();
        }
    }

    private bool Aborted => Volatile.Read(ref aborted) != 0;

    public IPAddress? SourceAddress => clientEndPoint?.Address;

    /// <summary>Relaying with traffic lately: the pumps keep posted reads, each with a small buffer.</summary>
    public bool Busy => Volatile.Read(ref phase) == Relaying && Volatile.Read(ref activity) is not null;

    public async Task RunAsync()
    {
        client.NoDelay = true;
        byte[]? peeked = null;
        bool relaying = false;
        try
        {
            long accepted = Stopwatch.GetTimestamp();
            int peekedLength = 0;
            RouteQuery query;
            ListenerSpec spec = listener.Spec;
            if (spec.Kind == ListenerKind.Tcp)
            {
                query = new RouteQuery(null, clientEndPoint?.Address, Array.Empty<string>());
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
                    // The hello's cap counts handshake bytes; the record headers around them need a little more.
                    int limit = spec.Kind == ListenerKind.Tls ? server.Options.MaxHelloBytes + 1024 : server.Options.MaxHttpHeadBytes;
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

            ProxyRouteSet routes = server.Routes;
            RouteSelection selection = routes.Table.Select(spec.EntryPoint, query, tls: spec.Kind == ListenerKind.Tls);
            if (selection.Router?.Definition.Backend is not RouteBackend target || selection.Conditional)
            {
                await RejectAsync(spec.Kind == ListenerKind.Tcp ? RejectionReason.NoRoute : query.ServerName.Length == 0 ? RejectionReason.NoServerName : RejectionReason.UnknownName).ConfigureAwait(false);
                return;
            }

            string router = selection.Router.Name;
            RouteCounters counters = server.Counters.Route(router);
            Volatile.Write(ref phase, Connecting);
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

            ProxyLog.ConnectionRouted(server.Logger, clientEndPoint, router, target.ToString());
            counters.Opened();
            routeCounters = counters;
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
            int read = await client.ReceiveAsync(buffer.AsMemory(filled, limit - filled), SocketFlags.None).ConfigureAwait(false);
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
            RouteQuery? query = listener.Spec.Kind == ListenerKind.Tls
                ? JudgeHello(buffer.AsSpan(0, filled), filled < limit, out RejectionReason? rejection)
                : JudgeHead(buffer.AsSpan(0, filled), limit, filled < limit, out rejection);
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

    /// <summary>The query of a whole hello, null with no rejection when more bytes may still come, or why to refuse.</summary>
    private RouteQuery? JudgeHello(ReadOnlySpan<byte> received, bool roomLeft, out RejectionReason? rejection)
    {
        rejection = null;
        switch (ClientHelloParser.Parse(received, server.Options.MaxHelloBytes, out ClientHelloInfo? hello))
        {
            case ClientHelloStatus.Complete:
                // A name with bytes no route may match is asked about as a name nothing matches.
                string name = hello!.ServerNameUnroutable ? "\0" : hello.ServerName ?? string.Empty;
                return new RouteQuery(name, clientEndPoint?.Address, hello.Alpn);
            case ClientHelloStatus.Incomplete when roomLeft:
                return null;
            case ClientHelloStatus.Incomplete or ClientHelloStatus.TooLarge:
                rejection = RejectionReason.HelloTooLarge;
                return null;
            case ClientHelloStatus.NotTls:
                rejection = RejectionReason.NotTls;
                return null;
            default:
                rejection = RejectionReason.MalformedHello;
                return null;
        }
    }

    /// <summary>The query of a whole request head, null with no rejection when more bytes may still come, or why to refuse.</summary>
    private RouteQuery? JudgeHead(ReadOnlySpan<byte> received, int limit, bool roomLeft, out RejectionReason? rejection)
    {
        rejection = null;
        switch (HttpRequestHeadParser.Parse(received, limit, out HttpRequestHead? head))
        {
            case HttpHeadStatus.Complete:
                return head!.HostUnroutable
                    ? new RouteQuery("\0", clientEndPoint?.Address, Array.Empty<string>())
                    : RouteQuery.FromConnection(head.HostHadTrailingDot ? head.Host + "." : head.Host, tls: false, clientEndPoint?.Address, Array.Empty<string>());
            case HttpHeadStatus.Incomplete when roomLeft:
                return null;
            case HttpHeadStatus.Http2Preface:
                rejection = RejectionReason.Http2Preface;
                return null;
            default:
                rejection = RejectionReason.BadRequest;
                return null;
        }
    }

    /// <summary>Connects to one of the route's targets; null on success (the socket is in <see cref="backend"/>), else why not.</summary>
    private async Task<RejectionReason?> ConnectAsync(RouteBackend target)
    {
        RejectionReason failure = RejectionReason.BackendUnavailable;
        int start = target.Targets.Count > 1 ? (int)((uint)Environment.TickCount % (uint)target.Targets.Count) : 0;
        for (int i = 0; i < target.Targets.Count && !Aborted; i++)
        {
            IPEndPoint endpoint = target.Targets[(start + i) % target.Targets.Count];
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            Volatile.Write(ref backend, socket);
            using var deadline = new CancellationTokenSource(server.Options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
                if (!Aborted)
                {
                    return null;
                }
            }
            catch (OperationCanceledException)
            {
                failure = RejectionReason.BackendTimeout;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
            }

            Volatile.Write(ref backend, null);
            socket.Dispose();
        }

        return failure;
    }

    /// <summary>Sends the backend the PROXY header the route asks for and the bytes read to route; false when the backend failed.</summary>
    private async Task<bool> SendOpeningAsync(Socket backendSocket, RouteBackend target, byte[]? peeked, int peekedLength, RouteCounters counters)
    {
        if (target.ProxyProtocol != ProxyProtocolVersion.None && clientEndPoint is not null && client.LocalEndPoint is IPEndPoint local)
        {
            if (!await SocketPump.SendAllAsync(backendSocket, ProxyProtocolHeader.Build(target.ProxyProtocol, clientEndPoint, local), CancellationToken.None).ConfigureAwait(false))
            {
                return false;
            }
        }

        if (peekedLength > 0)
        {
            if (!await SocketPump.SendAllAsync(backendSocket, peeked.AsMemory(0, peekedLength), CancellationToken.None).ConfigureAwait(false))
            {
                return false;
            }

            counters.AddFromClient(peekedLength);
        }

        return true;
    }

    /// <summary>
    /// Starts both directions and returns: nothing of this method or of <see cref="RunAsync"/> stays
    /// alive through the relay (an idle connection holds its sockets, its two pumps and this object).
    /// The direction that ends second closes the connection. False when nothing was started.
    /// </summary>
    private bool StartRelay(Socket backendSocket)
    {
        Volatile.Write(ref lastActivity, Environment.TickCount64);
        Volatile.Write(ref phase, Relaying);
        if (Aborted)
        {
            Reset(client);
            Reset(backendSocket);
            return false;
        }

        int bufferSize = server.Options.BufferSize;
        // After a ClientHello the server's flight and the client's Finished are on their way, after a
        // request head its response; a plain port may well stay silent, so it starts waiting without a buffer.
        bool expected = listener.Spec.Kind != ListenerKind.Tcp;

        // Set before either starts: a direction may end before the other has begun.
        Volatile.Write(ref runningPumps, 2);
        _ = SocketPump.RunAsync(client, backendSocket, bufferSize, SniProxyServer.PostedReadBytes, this, fromClient: true, expected);
        _ = SocketPump.RunAsync(backendSocket, client, bufferSize, SniProxyServer.PostedReadBytes, this, fromClient: false, expected);
        return true;
    }

    void IRelayObserver.Transferred(bool fromClient, int bytes)
    {
        if (fromClient)
        {
            routeCounters!.AddFromClient(bytes);
        }
        else
        {
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

    void IRelayObserver.Ended(PumpOutcome outcome)
    {
        if (outcome != PumpOutcome.SourceClosed)
        {
            // A reset or a failed write: end the other direction too, abortively (each peer sees a reset).
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
        byte[]? answer = listener.Spec.Kind switch
        {
            ListenerKind.Tls => reason switch
            {
                RejectionReason.UnknownName or RejectionReason.NoServerName => Alert(AlertUnrecognizedName),
                // A hello that never completed in time is a failed handshake too: the client learns why instead of seeing a bare close.
                RejectionReason.MalformedHello or RejectionReason.HelloTooLarge or RejectionReason.BackendUnavailable or RejectionReason.BackendTimeout
                    or RejectionReason.HandshakeTimeout => Alert(AlertHandshakeFailure),
                _ => null,
            },
            ListenerKind.Http => reason switch
            {
                RejectionReason.BadRequest => HttpError(400, "Bad Request"),
                RejectionReason.UnknownName or RejectionReason.NoServerName => HttpError(404, "Not Found"),
                RejectionReason.BackendUnavailable => HttpError(502, "Bad Gateway"),
                RejectionReason.BackendTimeout => HttpError(504, "Gateway Timeout"),
                RejectionReason.HandshakeTimeout => HttpError(408, "Request Timeout"),
                _ => null,
            },
            _ => null,
        };

        if (answer is not null)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (await SocketPump.SendAllAsync(client, answer, deadline.Token).ConfigureAwait(false))
            {
                try
                {
                    client.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                }
            }
        }
    }

    private void Count(RejectionReason reason)
    {
        server.Counters.Rejected(reason);
        ProxyLog.ConnectionRejected(server.Logger, reason, clientEndPoint, listener.Endpoint);
    }

    /// <summary>A fatal TLS alert record (TLS 1.2 record version, as servers send before a version is agreed).</summary>
    private static byte[] Alert(byte description) => new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description };

    private static byte[] HttpError(int status, string text)
    {
        string body = $"{status} {text}\n";
        return Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {text}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
    }

    private static void TryShutdown(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
        }
    }
}

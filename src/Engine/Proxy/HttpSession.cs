using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ClusterExpose.Engine.Proxy.Transport;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Routing;

namespace ClusterExpose.Engine.Proxy;

/// <summary>A connection an HTTP session hands back to be relayed as a byte stream (after 101 Switching Protocols or a 2xx to CONNECT).</summary>
internal readonly record struct HttpTunnel(ProxySocket Backend, RouteCounters Counters, string Host, string Route, string Target);

/// <summary>
/// The HTTP listener's side of a connection: every request is routed by its own Host header, as
/// Traefik routes them. Requests are taken one at a time in the order they came (pipelined ones wait
/// in the buffer), so responses go back in request order. Each request and response passes untouched;
/// the session only follows their framing (RFC 9112: Content-Length, chunked with trailers, bodiless
/// responses, responses that end at close) to know where one message ends and the next begins.
/// Backend connections are kept per route and reused while both sides keep them alive, so a PROXY
/// header goes once per backend connection. Anything whose framing cannot be followed is refused with
/// 400 and the connection closes, before a byte of it reaches a backend.
/// </summary>
internal sealed class HttpSession : IBackendHolder
{
    /// <summary>Backend connections kept at once; a client rarely talks to more routes than this.</summary>
    private const int MaxKept = 4;

    /// <summary>How long a kept backend connection may sit unused before it is checked for a close.</summary>
    private const long RecheckAfterMs = 1000;

    private static readonly FirstBytesReader Refusals = FirstBytesReader.For(ListenerKind.Http);

    private readonly SniProxyServer server;
    private readonly ProxyConnection connection;
    private readonly ProxyListener listener;
    private readonly ProxySocket client;
    private readonly KeptBackend?[] kept = new KeptBackend?[MaxKept];
    private ProxySocket? dialing;
    private int aborted;

    // Client bytes not yet sent on: [start, filled) of inbound.
    private byte[]? inbound;
    private int start;
    private int filled;

    // A backend's response passes through here; rented for a response, given back while the connection waits for the next request.
    private byte[]? outbound;

    // Set by a body being forwarded when its chunked framing breaks, so the response side can answer 400.
    private volatile bool bodyMalformed;

    // What the access log says of the request in hand (counted whether or not it is on: a few adds).
    private long requestStarted;

    // The last routing decision of this connection, kept while its route set and host stay the same.
    private ProxyRouteSet? decidedRoutes;
    private string? decidedHost;
    private bool decidedTrailingDot;
    private string? decidedRouter;
    private RouteBackend? decidedTarget;
    private RouteCounters? decidedCounters;
    private string? route;
    private string? target;
    private long bytesFromClient;
    private long bytesToClient;
    private int answeredStatus;
    private string? ending;

    public HttpSession(SniProxyServer server, ProxyConnection connection, ProxyListener listener, ProxySocket client)
    {
        this.server = server;
        this.connection = connection;
        this.listener = listener;
        this.client = client;
    }

    public bool Aborted => Volatile.Read(ref aborted) != 0;

    private int HeadLimit => server.Options.MaxHttpHeadBytes;

    /// <summary>Resets every backend connection; the client is the connection's to reset.</summary>
    public void Abort()
    {
        Interlocked.Exchange(ref aborted, 1);
        ProxyConnection.ResetAndDispose(Volatile.Read(ref dialing));
        for (int i = 0; i < kept.Length; i++)
        {
            if (Volatile.Read(ref kept[i]) is KeptBackend backend)
            {
                ProxyConnection.ResetAndDispose(backend.Socket);
            }
        }
    }

    void IBackendHolder.Dialing(ProxySocket? socket) => Volatile.Write(ref dialing, socket);

    /// <summary>
    /// Serves requests until the client or a response ends the connection. Takes the buffer holding
    /// the first request head. Returns a tunnel when a request was upgraded; null when the connection
    /// is over (the caller closes the client).
    /// </summary>
    public async Task<HttpTunnel?> RunAsync(byte[] first, int length)
    {
        inbound = first;
        filled = length;
        HttpTunnel? tunnel = null;
        try
        {
            while (!Aborted)
            {
                HttpRequestHead? head = await NextHeadAsync().ConfigureAwait(false);
                if (head is null)
                {
                    break;
                }

                (bool keepGoing, tunnel) = await ExchangeAsync(head).ConfigureAwait(false);
                if (!keepGoing)
                {
                    break;
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client, a backend or the stop deadline ended it.
        }
        finally
        {
            if (inbound is not null)
            {
                server.ReturnBuffer(inbound);
                inbound = null;
            }

            if (outbound is not null)
            {
                server.ReturnBuffer(outbound);
                outbound = null;
            }

            for (int i = 0; i < kept.Length; i++)
            {
                if (kept[i] is KeptBackend backend && backend.Socket != tunnel?.Backend)
                {
                    Drop(i);
                }
            }
        }

        if (tunnel is null)
        {
            ProxyConnection.TryShutdown(client, SocketShutdown.Send);
        }

        return tunnel;
    }

    /// <summary>The next whole request head at the start of the buffer, or null when the connection ends here.</summary>
    private async Task<HttpRequestHead?> NextHeadAsync()
    {
        if (start == filled)
        {
            // Between requests: wait without a buffer, so an idle keep-alive connection holds none.
            server.ReturnBuffer(inbound!);
            inbound = null;
            if (outbound is not null)
            {
                server.ReturnBuffer(outbound);
                outbound = null;
            }

            start = filled = 0;
            if (!connection.Enter(ConnectionState.Waiting))
            {
                return null;
            }

            await client.ReceiveAsync(Memory<byte>.Empty).ConfigureAwait(false);
            if (connection.Expired)
            {
                // The keep-alive timeout or a drain closed it between requests: nothing to answer.
                return null;
            }

            inbound = server.RentBuffer(HeadLimit);
        }
        else if (start > 0)
        {
            Buffer.BlockCopy(inbound!, start, inbound!, 0, filled - start);
            filled -= start;
            start = 0;
        }

        connection.Enter(ConnectionState.Reading);
        while (true)
        {
            if (filled > 0)
            {
                HttpHeadStatus parsed = HttpRequestHeadParser.Parse(inbound.AsSpan(0, filled), HeadLimit, out HttpRequestHead? head);
                if (parsed == HttpHeadStatus.Complete)
                {
                    connection.Enter(ConnectionState.Relaying);
                    return head;
                }

                if (parsed != HttpHeadStatus.Incomplete || filled == HeadLimit)
                {
                    await RefuseHeadAsync(parsed == HttpHeadStatus.Http2Preface ? RejectionReason.Http2Preface : RejectionReason.BadRequest).ConfigureAwait(false);
                    return null;
                }
            }

            int read = await client.ReceiveAsync(inbound.AsMemory(filled, HeadLimit - filled)).ConfigureAwait(false);
            if (read == 0)
            {
                if (connection.Expired)
                {
                    await RefuseHeadAsync(RejectionReason.HandshakeTimeout).ConfigureAwait(false);
                }
                else if (filled > 0)
                {
                    Count(RejectionReason.ClientGone);
                }

                return null;
            }

            filled += read;
            connection.Touch();
        }
    }

    /// <summary>One request and its response, and its line in the access log when that is on.</summary>
    private async Task<(bool KeepGoing, HttpTunnel? Tunnel)> ExchangeAsync(HttpRequestHead head)
    {
        bool logged = server.Options.AccessLog;
        string? path = null;
        if (logged)
        {
            StartRecord();
            path = System.Text.Encoding.Latin1.GetString(inbound!, start + head.TargetStart, head.TargetLength);
        }

        try
        {
            return await ExchangeCoreAsync(head).ConfigureAwait(false);
        }
        finally
        {
            if (logged)
            {
                LogRequest(head.Host, head.Method, path, ending ?? "completed");
            }
        }
    }

    /// <summary>A new access-log record: the clock starts, and what the last request left is cleared.</summary>
    private void StartRecord()
    {
        requestStarted = Stopwatch.GetTimestamp();
        bytesFromClient = bytesToClient = 0;
        answeredStatus = 0;
        ending = null;
        route = target = null;
    }

    private void LogRequest(string host, string method, string? path, string how) => new AccessRecord
    {
        Client = connection.ClientEndPoint,
        Listener = listener.Endpoint,
        Name = host,
        Method = method,
        Path = path,
        Route = route ?? string.Empty,
        Target = target ?? string.Empty,
        Status = answeredStatus,
        BytesFromClient = bytesFromClient,
        BytesToClient = bytesToClient,
        DurationMs = Stopwatch.GetElapsedTime(requestStarted).TotalMilliseconds,
        Ending = how,
    }.WriteTo(server.Logger);

    /// <summary>Refuses a request head that could not be read, with its own access line (no method, no route).</summary>
    private async Task RefuseHeadAsync(RejectionReason reason)
    {
        StartRecord();
        await RefuseAsync(reason).ConfigureAwait(false);
        if (server.Options.AccessLog)
        {
            LogRequest(string.Empty, "-", "-", ending!);
        }
    }

    /// <summary>Routes one request, sends it on, and brings its response back; whether the connection goes on, and a tunnel if it became one.</summary>
    private async Task<(bool KeepGoing, HttpTunnel? Tunnel)> ExchangeCoreAsync(HttpRequestHead head)
    {
        // Most connections ask for one host again and again: the decision for the same host under the
        // same route set is the one made before (a reload swaps the set, so it is decided anew).
        ProxyRouteSet routes = server.Routes;
        if (!ReferenceEquals(routes, decidedRoutes) || !string.Equals(head.Host, decidedHost, StringComparison.Ordinal)
            || head.HostHadTrailingDot != decidedTrailingDot || head.HostUnroutable)
        {
            RouteSelection selection = routes.Table.Select(listener.Spec.EntryPoint, head.ToQuery(connection.SourceAddress), tls: false);
            if (selection.Router?.Definition.Backend is not RouteBackend chosen || selection.Conditional)
            {
                decidedRoutes = null;
                await RefuseAsync(Refusals.NoRoute(head.ToQuery(connection.SourceAddress))).ConfigureAwait(false);
                return (false, null);
            }

            (decidedRoutes, decidedHost, decidedTrailingDot) = (routes, head.Host, head.HostHadTrailingDot);
            (decidedRouter, decidedTarget, decidedCounters) = (selection.Router.Name, chosen, server.Counters.Route(selection.Router.Name));
        }

        string router = decidedRouter!;
        RouteBackend target = decidedTarget!;
        RouteCounters counters = decidedCounters!;
        route = router;

        // Where the body's bytes already read end; a broken chunked framing is refused before anything is sent.
        int headEnd = start + head.HeadLength;
        long bodyLeft = head.ContentLength;
        var chunks = default(ChunkedScanner);
        int sendEnd = headEnd;
        bool bodyDone = true;
        if (head.Framing == BodyFraming.Length)
        {
            int take = (int)Math.Min(bodyLeft, filled - headEnd);
            sendEnd += take;
            bodyLeft -= take;
            bodyDone = bodyLeft == 0;
        }
        else if (head.Framing == BodyFraming.Chunked)
        {
            ChunkedStatus status = chunks.Advance(inbound.AsSpan(headEnd, filled - headEnd), out int consumed);
            if (status == ChunkedStatus.Malformed)
            {
                await RefuseAsync(RejectionReason.BadRequest).ConfigureAwait(false);
                return (false, null);
            }

            sendEnd += consumed;
            bodyDone = status == ChunkedStatus.Done;
        }

        counters.Requested();
        int requestStart = start;
        bool retried = false;
        while (true)
        {
            KeptBackend? backend = await AcquireAsync(router, target, counters, fresh: retried).ConfigureAwait(false);
            if (backend is null)
            {
                return (false, null);
            }

            ProxyLog.ConnectionRouted(server.Logger, connection.ClientEndPoint, router, backend.Description);
            this.target = backend.Description;
            if (!await SocketPump.SendAllAsync(backend.Socket, inbound.AsMemory(requestStart, sendEnd - requestStart), CancellationToken.None).ConfigureAwait(false))
            {
                DropBackend(backend);
                if (backend.Reused && !retried && Replayable(head))
                {
                    retried = true;
                    continue;
                }

                await RefuseAsync(RejectionReason.BackendUnavailable).ConfigureAwait(false);
                return (false, null);
            }

            start = sendEnd;
            FromClient(counters, sendEnd - requestStart);

            Task<bool>? body = null;
            CancellationTokenSource? stopBody = null;
            if (!bodyDone)
            {
                bodyMalformed = false;
                stopBody = new CancellationTokenSource();
                body = ForwardBodyAsync(backend, head.Framing, bodyLeft, chunks, counters, stopBody.Token);
            }

            ResponseEnd end;
            try
            {
                end = await ForwardResponseAsync(head, backend, counters).ConfigureAwait(false);
            }
            finally
            {
                if (body is not null && !body.IsCompleted)
                {
                    stopBody!.Cancel();
                }
            }

            bool bodyForwarded = body is null || await body.ConfigureAwait(false);
            stopBody?.Dispose();

            // A reused connection the backend had closed before reading this request: an idempotent
            // request with no body is sent again once on a new connection (RFC 9110 9.2.2).
            if (end == ResponseEnd.NoResponse && backend.Reused && !retried && Replayable(head) && !Aborted)
            {
                DropBackend(backend);
                start = requestStart;
                retried = true;
                continue;
            }

            switch (end)
            {
                case ResponseEnd.KeepAlive when bodyForwarded && head.KeepAlive && server.State == SniProxyState.Running:
                    backend.LastUsed = Environment.TickCount64;
                    return (true, null);
                case ResponseEnd.KeepAlive:
                    if (!bodyForwarded || !head.KeepAlive)
                    {
                        DropBackend(backend);
                    }

                    return (false, null);
                case ResponseEnd.Closed:
                    DropBackend(backend);
                    return (false, null);
                case ResponseEnd.Tunnel:
                    // Bytes the client sent after the upgrade request belong to the tunnel.
                    if (filled > start && !await SocketPump.SendAllAsync(backend.Socket, inbound.AsMemory(start, filled - start), CancellationToken.None).ConfigureAwait(false))
                    {
                        DropBackend(backend);
                        return (false, null);
                    }

                    FromClient(counters, filled - start);
                    start = filled;
                    Forget(backend);
                    ending = "upgraded";
                    return (false, new HttpTunnel(backend.Socket, counters, head.Host, router, backend.Description));
                case ResponseEnd.NoResponse or ResponseEnd.BadResponse:
                    DropBackend(backend);
                    await RefuseAsync(bodyMalformed ? RejectionReason.BadRequest : RejectionReason.BackendUnavailable).ConfigureAwait(false);
                    return (false, null);
                default:
                    // Cut short after part of the response went out: the client must see it broken, not complete.
                    ending = "reset";
                    DropBackend(backend);
                    connection.Abort();
                    return (false, null);
            }
        }
    }

    /// <summary>Whether a request may be sent a second time when its first try met a closed connection: idempotent and without a body.</summary>
    private static bool Replayable(HttpRequestHead head) =>
        head.Framing == BodyFraming.None && head.Method is "GET" or "HEAD" or "OPTIONS" or "TRACE";

    /// <summary>
    /// Sends the rest of a request body on as the client sends it, following its framing to its end;
    /// bytes after the end (a pipelined request) stay in the buffer. True when the whole body went.
    /// </summary>
    private async Task<bool> ForwardBodyAsync(KeptBackend backend, BodyFraming framing, long left, ChunkedScanner chunks, RouteCounters counters, CancellationToken stop)
    {
        // Everything read so far was sent; the buffer starts empty for the body.
        start = filled = 0;
        try
        {
            while (true)
            {
                int read = await client.ReceiveAsync(inbound.AsMemory(0, HeadLimit), stop).ConfigureAwait(false);
                if (read == 0)
                {
                    ProxyConnection.ResetAndDispose(backend.Socket);
                    return false;
                }

                connection.Touch();
                int take;
                bool done;
                if (framing == BodyFraming.Length)
                {
                    take = (int)Math.Min(left, read);
                    left -= take;
                    done = left == 0;
                }
                else
                {
                    ChunkedStatus status = chunks.Advance(inbound.AsSpan(0, read), out take);
                    if (status == ChunkedStatus.Malformed)
                    {
                        // The backend has part of a request it can never finish: reset it, and the response side answers 400.
                        bodyMalformed = true;
                        ProxyConnection.ResetAndDispose(backend.Socket);
                        return false;
                    }

                    done = status == ChunkedStatus.Done;
                }

                if (!await SocketPump.SendAllAsync(backend.Socket, inbound.AsMemory(0, take), CancellationToken.None).ConfigureAwait(false))
                {
                    return false;
                }

                FromClient(counters, take);
                if (done)
                {
                    start = take;
                    filled = read;
                    return true;
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Brings the response (after any interim ones) back to the client and says how it ended.</summary>
    private async Task<ResponseEnd> ForwardResponseAsync(HttpRequestHead request, KeptBackend backend, RouteCounters counters)
    {
        byte[] buffer = outbound ??= server.RentBuffer(server.Options.BufferSize);
        ProxySocket socket = backend.Socket;
        int have = 0;
        bool answered = false;
        try
        {
            while (true)
            {
                HttpResponseHead response;
                while (true)
                {
                    if (have > 0)
                    {
                        HttpResponseStatus status = HttpResponseHeadParser.Parse(buffer.AsSpan(0, have), buffer.Length, out response);
                        if (status == HttpResponseStatus.Complete)
                        {
                            break;
                        }

                        if (status != HttpResponseStatus.Incomplete)
                        {
                            return answered ? ResponseEnd.Broken : ResponseEnd.BadResponse;
                        }
                    }

                    int read = await socket.ReceiveAsync(buffer.AsMemory(have)).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return answered ? ResponseEnd.Broken : have > 0 ? ResponseEnd.BadResponse : ResponseEnd.NoResponse;
                    }

                    have += read;
                    connection.Touch();
                }

                if (response.Interim)
                {
                    // 100 Continue and friends go on at once; the final response follows.
                    if (!await SendToClientAsync(buffer, response.HeadLength, counters).ConfigureAwait(false))
                    {
                        return ResponseEnd.Broken;
                    }

                    answered = true;
                    have -= response.HeadLength;
                    Buffer.BlockCopy(buffer, response.HeadLength, buffer, 0, have);
                    continue;
                }

                answeredStatus = response.StatusCode;
                if ((response.StatusCode == 101 && request.Upgrade) || (request.IsConnect && response.StatusCode is >= 200 and < 300))
                {
                    // The connection is now the backend's protocol: the head and whatever followed it go on, then bytes flow both ways.
                    return await SendToClientAsync(buffer, have, counters).ConfigureAwait(false) ? ResponseEnd.Tunnel : ResponseEnd.Broken;
                }

                if (response.StatusCode == 101)
                {
                    // Switching protocols nobody asked for: nothing after it can be read as HTTP.
                    return answered ? ResponseEnd.Broken : ResponseEnd.BadResponse;
                }

                BodyFraming framing = response.BodyFor(request);
                long left = response.ContentLength;
                var chunks = default(ChunkedScanner);
                int from = response.HeadLength;
                while (true)
                {
                    int end;
                    bool done;
                    switch (framing)
                    {
                        case BodyFraming.None:
                            end = from;
                            done = true;
                            break;
                        case BodyFraming.Length:
                            int take = (int)Math.Min(left, have - from);
                            end = from + take;
                            left -= take;
                            done = left == 0;
                            break;
                        case BodyFraming.Chunked:
                            ChunkedStatus status = chunks.Advance(buffer.AsSpan(from, have - from), out int consumed);
                            if (status == ChunkedStatus.Malformed)
                            {
                                return answered ? ResponseEnd.Broken : ResponseEnd.BadResponse;
                            }

                            end = from + consumed;
                            done = status == ChunkedStatus.Done;
                            break;
                        default:
                            end = have;
                            done = false;
                            break;
                    }

                    if (end > 0)
                    {
                        if (!await SendToClientAsync(buffer, end, counters).ConfigureAwait(false))
                        {
                            return ResponseEnd.Broken;
                        }

                        answered = true;
                    }

                    if (done)
                    {
                        // Bytes past the response's end were never asked for: that connection cannot be trusted again.
                        return response.KeepAlive && end == have ? ResponseEnd.KeepAlive : ResponseEnd.Closed;
                    }

                    int read = await socket.ReceiveAsync(buffer.AsMemory()).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return framing == BodyFraming.UntilClose ? ResponseEnd.Closed : ResponseEnd.Broken;
                    }

                    connection.Touch();
                    have = read;
                    from = 0;
                }
            }
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return answered ? ResponseEnd.Broken : ResponseEnd.NoResponse;
        }
    }

    private async ValueTask<bool> SendToClientAsync(byte[] buffer, int count, RouteCounters counters)
    {
        if (!await SocketPump.SendAllAsync(client, buffer.AsMemory(0, count), CancellationToken.None).ConfigureAwait(false))
        {
            return false;
        }

        bytesToClient += count;
        counters.AddToClient(count);
        return true;
    }

    private void FromClient(RouteCounters counters, int count)
    {
        Interlocked.Add(ref bytesFromClient, count);
        counters.AddFromClient(count);
    }

    /// <summary>A kept connection to this route's backend that is still open, or a new one; null (and the client answered) when none can be had.</summary>
    private async ValueTask<KeptBackend?> AcquireAsync(string router, RouteBackend target, RouteCounters counters, bool fresh)
    {
        int free = -1;
        int oldest = 0;
        for (int i = 0; i < kept.Length; i++)
        {
            KeptBackend? candidate = kept[i];
            if (candidate is null)
            {
                free = free < 0 ? i : free;
                continue;
            }

            if (!fresh && ReferenceEquals(candidate.Target, target) && candidate.Router == router)
            {
                // A connection that answered within the last second is taken as it is (a check costs a
                // system call per request); an older one is checked for a close first. A close missed
                // here is met by the retry of an idempotent request.
                long idle = Environment.TickCount64 - candidate.LastUsed;
                if (idle < RecheckAfterMs || StillOpen(candidate.Socket))
                {
                    candidate.Reused = true;
                    candidate.LastUsed = Environment.TickCount64;
                    return candidate;
                }

                Drop(i);
                free = free < 0 ? i : free;
                continue;
            }

            if (candidate.LastUsed < kept[oldest]?.LastUsed)
            {
                oldest = i;
            }
        }

        long connecting = Stopwatch.GetTimestamp();
        (ProxySocket? socket, RejectionReason failure) = await BackendDialer.ConnectAsync(server.SocketEngine, target, server.Options.ConnectTimeout, this).ConfigureAwait(false);
        Volatile.Write(ref dialing, null);
        if (socket is null)
        {
            if (!Aborted)
            {
                counters.BackendFailed();
                ProxyLog.BackendFailed(server.Logger, router, target.ToString(), null);
                await RefuseAsync(failure).ConfigureAwait(false);
            }

            return null;
        }

        counters.Connected(Stopwatch.GetTimestamp() - connecting);
        counters.Opened();
        if (free < 0)
        {
            Drop(oldest);
            free = oldest;
        }

        var backend = new KeptBackend(socket, router, target, counters);
        Volatile.Write(ref kept[free], backend);
        if (Aborted)
        {
            ProxyConnection.ResetAndDispose(socket);
        }

        if (!await BackendDialer.SendProxyHeaderAsync(socket, target, client).ConfigureAwait(false))
        {
            DropBackend(backend);
            await RefuseAsync(RejectionReason.BackendUnavailable).ConfigureAwait(false);
            return null;
        }

        return backend;
    }

    /// <summary>An idle kept connection is usable when nothing is waiting on it: a close or unasked-for bytes make it readable.</summary>
    private static bool StillOpen(ProxySocket socket)
    {
        try
        {
            return socket.IdleAndOpen();
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private void DropBackend(KeptBackend backend)
    {
        int index = Array.IndexOf(kept, backend);
        if (index >= 0)
        {
            Drop(index);
        }
    }

    private void Drop(int index)
    {
        KeptBackend? backend = Interlocked.Exchange(ref kept[index], null);
        if (backend is not null)
        {
            backend.Socket.Dispose();
            backend.Counters.Closed();
        }
    }

    /// <summary>Lets go of a connection that the caller now owns (a tunnel), without closing it.</summary>
    private void Forget(KeptBackend backend)
    {
        int index = Array.IndexOf(kept, backend);
        if (index >= 0)
        {
            Volatile.Write(ref kept[index], null);
        }
    }

    private async Task RefuseAsync(RejectionReason reason)
    {
        Count(reason);
        answeredStatus = Refusals.Status(reason);
        ending = "rejected:" + reason;
        await ProxyConnection.SendAnswerAsync(client, Refusals.Answer(reason)).ConfigureAwait(false);
    }

    private void Count(RejectionReason reason)
    {
        server.Counters.Rejected(reason);
        ProxyLog.ConnectionRejected(server.Logger, reason, connection.ClientEndPoint, listener.Endpoint);
    }

    /// <summary>How a response ended.</summary>
    private enum ResponseEnd
    {
        /// <summary>Whole, and the backend keeps the connection.</summary>
        KeepAlive,
        /// <summary>Whole, and the connection ends with it (Connection: close, HTTP/1.0, or a body that ran to the close).</summary>
        Closed,
        /// <summary>The connection became a tunnel.</summary>
        Tunnel,
        /// <summary>The backend closed or failed before a byte of the response: the client can still be told 502.</summary>
        NoResponse,
        /// <summary>What came back cannot be read as a response, and nothing of it went out: 502.</summary>
        BadResponse,
        /// <summary>Broken after part of the response went out: the client sees a reset.</summary>
        Broken,
    }

    /// <summary>A backend connection kept for its route's next request.</summary>
    private sealed class KeptBackend
    {
        public KeptBackend(ProxySocket socket, string router, RouteBackend target, RouteCounters counters)
        {
            Socket = socket;
            Router = router;
            Target = target;
            Counters = counters;
            LastUsed = Environment.TickCount64;
            Description = (socket.RemoteEndPoint as IPEndPoint)?.ToString() ?? target.ToString();
        }

        public ProxySocket Socket { get; }

        public string Router { get; }

        public RouteBackend Target { get; }

        public RouteCounters Counters { get; }

        public string Description { get; }

        public long LastUsed { get; set; }

        /// <summary>Served an earlier request: it may have been closed by the backend meanwhile.</summary>
        public bool Reused { get; set; }
    }
}

using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;
using static ClusterExpose.Engine.Proxy.Transport.LinuxSockets;

namespace ClusterExpose.Engine.Proxy.Transport;

/// <summary>
/// A connection whose descriptor the proxy's own <see cref="EpollLoop"/> owns. Readiness is tracked,
/// not guessed: an event raises a counter, a read that comes back short (or would block) records the
/// counter it drained, so a receive calls recv only when bytes may be there, and otherwise waits
/// without a system call until the loop says so. All system calls on the descriptor, and its close,
/// happen under the socket's lock, so a close on one thread never races a call on a reused number.
/// </summary>
internal sealed unsafe class LoopSocket : ProxySocket
{
    private readonly EpollLoop loop;
    private readonly bool listening;
    private int fd;
    private IPEndPoint? remote;
    private IPEndPoint? local;

    // Readiness: ready while the counter raised by events differs from the one a drained call recorded.
    private int readEvents;
    private int readDrained;
    private int writeEvents;
    private int writeDrained;

    // Sticky: once the peer has closed (or the socket failed), every read and write ends at once; a short
    // read does not drain that, and the event announcing it may have come with the last bytes.
    private bool readEnded;
    private bool writeEnded;

    // The read counter of the event that first announced the end, and whether any event reported an
    // error: a read that came back short after a plain FIN was announced has left nothing but the end
    // of the stream, so the next read returns 0 without asking the kernel.
    private int readEndedAt;
    private bool readFailed;

    // Whether the event that completes a pending connect reported a failure: only then is the
    // socket's pending error worth a system call to read.
    private bool writeFailed;

    private LoopOperation? reading;
    private LoopOperation? writing;
    private LoopOperation? readOperation;
    private LoopOperation? writeOperation;

    private LoopSocket(EpollLoop loop, int fd, IPEndPoint? remote, bool listening)
    {
        this.loop = loop;
        this.fd = fd;
        this.remote = remote;
        this.listening = listening;
    }

    /// <summary>The slot and generation the loop finds this socket by; set by the loop.</summary>
    internal int Slot { get; set; } = -1;

    internal uint Generation { get; set; }

    public override bool WaitsWithoutCost => true;

    public override IPEndPoint? RemoteEndPoint => remote;

    public override IPEndPoint? LocalEndPoint
    {
        get
        {
            if (local is null)
            {
                lock (this)
                {
                    if (fd >= 0)
                    {
                        byte* address = stackalloc byte[SocketAddressBytes];
                        int length = SocketAddressBytes;
                        if (getsockname(fd, address, &length) == 0)
                        {
                            local = ReadAddress(new ReadOnlySpan<byte>(address, SocketAddressBytes));
                        }
                    }
                }
            }

            return local;
        }
    }

    /// <summary>A new non-blocking stream socket; registered with the loop once its connect has begun.</summary>
    public static LoopSocket Create(EpollLoop loop, AddressFamily family)
    {
        int fd = socket(family == AddressFamily.InterNetworkV6 ? AddressFamilyInet6 : AddressFamilyInet, SockStream | SockNonBlock | SockCloExec, 0);
        if (fd < 0)
        {
            throw Error(Errno);
        }

        _ = SetInt(fd, IpProtoTcp, TcpNoDelay, 1);
        return new LoopSocket(loop, fd, null, listening: false);
    }

    /// <summary>
    /// Watches a listening descriptor that a <see cref="Socket"/> owns; only waits for readability,
    /// exclusively, so that of the loops watching one listener the kernel wakes one per connection.
    /// </summary>
    public static LoopSocket Borrow(EpollLoop loop, int fd)
    {
        var socket = new LoopSocket(loop, fd, null, listening: true);
        loop.Register(socket, fd, EpollIn | EpollEdgeTriggered | EpollExclusive);
        return socket;
    }

    /// <summary>
    /// Accepts one connection onto <paramref name="into"/>; null when none is waiting (the listener is
    /// then marked drained, so the next wait blocks until the kernel has one).
    /// </summary>
    public LoopSocket? TryAccept(EpollLoop into)
    {
        int accepted;
        byte* address = stackalloc byte[SocketAddressBytes];
        lock (this)
        {
            ObjectDisposedException.ThrowIf(fd < 0, this);
            int version = readEvents;
            while (true)
            {
                int length = SocketAddressBytes;
                accepted = accept4(fd, address, &length, SockNonBlock | SockCloExec);
                if (accepted >= 0)
                {
                    break;
                }

                int errno = Errno;
                if (errno == EIntr)
                {
                    continue;
                }

                if (errno == EAgain)
                {
                    readDrained = version;
                    return null;
                }

                throw Error(errno);
            }
        }

        // Accepted sockets inherit TCP_NODELAY from the listener (set once there), and start
        // not-ready: adding them to epoll reports whatever is already waiting.
        var socket = new LoopSocket(into, accepted, ReadAddress(new ReadOnlySpan<byte>(address, SocketAddressBytes)), listening: false);
        try
        {
            into.Register(socket, accepted);
        }
        catch (SocketException)
        {
            socket.Dispose();
            throw;
        }

        return socket;
    }

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellation = default)
    {
        LoopOperation operation;
        lock (this)
        {
            ObjectDisposedException.ThrowIf(fd < 0, this);
            if (reading is not null)
            {
                throw new InvalidOperationException("A receive is already pending on this connection.");
            }

            if (readEvents != readDrained || readEnded)
            {
                int received = buffer.IsEmpty ? PeekReadable() : TryReceive(buffer.Span);
                if (received >= 0)
                {
                    return new ValueTask<int>(received);
                }
            }

            if (cancellation.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<int>(cancellation);
            }

            operation = readOperation ??= new LoopOperation(this);
            operation.Begin(LoopOperationKind.Receive, buffer, default, cancellation);
            reading = operation;
            operation.Watch(cancellation);
        }

        return new ValueTask<int>(operation, operation.Version);
    }

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellation = default)
    {
        LoopOperation operation;
        lock (this)
        {
            ObjectDisposedException.ThrowIf(fd < 0, this);
            if (writing is not null)
            {
                throw new InvalidOperationException("A send is already pending on this connection.");
            }

            if (writeEvents != writeDrained || writeEnded || data.IsEmpty)
            {
                int sent = TrySend(data.Span);
                if (sent >= 0)
                {
                    return new ValueTask<int>(sent);
                }
            }

            if (cancellation.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<int>(cancellation);
            }

            operation = writeOperation ??= new LoopOperation(this);
            operation.Begin(LoopOperationKind.Send, default, data, cancellation);
            writing = operation;
            operation.Watch(cancellation);
        }

        return new ValueTask<int>(operation, operation.Version);
    }

    public override ValueTask ConnectAsync(IPEndPoint endpoint, CancellationToken cancellation)
    {
        LoopOperation operation;
        lock (this)
        {
            ObjectDisposedException.ThrowIf(fd < 0, this);
            byte* address = stackalloc byte[SocketAddressBytes];
            int length = WriteAddress(endpoint, new Span<byte>(address, SocketAddressBytes));
            remote = endpoint;
            int result = connect(fd, address, length);
            int errno = result == 0 ? 0 : Errno;
            if (result != 0 && errno != EInProgress)
            {
                throw Error(errno);
            }

            // Registered only now: an unconnected socket polls as hung up, which would read as a finished connect.
            loop.Register(this, fd);
            if (result == 0)
            {
                writeEvents = writeDrained + 1;
                return default;
            }

            if (cancellation.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellation);
            }

            operation = writeOperation ??= new LoopOperation(this);
            operation.Begin(LoopOperationKind.Connect, default, default, cancellation);
            writing = operation;
            writeDrained = writeEvents;
            operation.Watch(cancellation);
        }

        return new ValueTask(operation, operation.Version);
    }

    public override void Shutdown(SocketShutdown how)
    {
        lock (this)
        {
            ObjectDisposedException.ThrowIf(fd < 0, this);
            if (shutdown(fd, how == SocketShutdown.Send ? ShutWrite : how == SocketShutdown.Receive ? ShutRead : 2) != 0)
            {
                throw Error(Errno);
            }
        }

        if (how != SocketShutdown.Send)
        {
            // A receive waiting on this socket ends now with the end of the stream, whether or not the
            // kernel reports the shutdown as an event.
            OnEvents(EpollIn | EpollRdHup);
        }
    }

    public override void ResetOnClose()
    {
        lock (this)
        {
            if (fd >= 0)
            {
                SetZeroLinger(fd);
            }
        }
    }

    public override bool IdleAndOpen()
    {
        lock (this)
        {
            if (fd < 0)
            {
                return false;
            }

            byte probe;
            nint peeked = recv(fd, &probe, 1, MsgPeek | MsgDontWait);
            if (peeked < 0 && Errno == EAgain)
            {
                readDrained = readEvents;
                return true;
            }

            return false;
        }
    }

    public override void Dispose()
    {
        LoopOperation? pendingRead;
        LoopOperation? pendingWrite;
        lock (this)
        {
            if (fd < 0)
            {
                return;
            }

            if (listening)
            {
                loop.Remove(fd);
            }
            else
            {
                _ = close(fd);
            }

            fd = -1;
            loop.Unregister(this);
            (pendingRead, reading) = (reading, null);
            (pendingWrite, writing) = (writing, null);
        }

        pendingRead?.Fail(new SocketException((int)SocketError.OperationAborted));
        pendingWrite?.Fail(new SocketException((int)SocketError.OperationAborted));
    }

    /// <summary>Called by the loop with an event's mask: completes the pending operations it makes possible.</summary>
    internal void OnEvents(uint events)
    {
        LoopOperation? readDone = null;
        LoopOperation? writeDone = null;
        lock (this)
        {
            if (fd < 0)
            {
                return;
            }

            if ((events & (EpollIn | EpollHup | EpollErr | EpollRdHup)) != 0)
            {
                readEvents++;
                if (!readEnded && (events & (EpollHup | EpollErr | EpollRdHup)) != 0)
                {
                    readEnded = true;
                    readEndedAt = readEvents;
                }

                readFailed |= (events & EpollErr) != 0;
                if (reading is LoopOperation pending && pending.TryComplete())
                {
                    reading = null;
                    readDone = pending;
                }
            }

            if ((events & (EpollOut | EpollHup | EpollErr)) != 0)
            {
                writeEvents++;
                writeFailed = (events & (EpollHup | EpollErr)) != 0;
                writeEnded |= writeFailed;
                if (writing is LoopOperation pending && pending.TryComplete())
                {
                    writing = null;
                    writeDone = pending;
                }
            }
        }

        readDone?.Finish();
        writeDone?.Finish();
    }

    /// <summary>Takes a canceled operation off the socket; false when it had completed already.</summary>
    internal bool Withdraw(LoopOperation operation)
    {
        lock (this)
        {
            if (reading == operation)
            {
                reading = null;
                return true;
            }

            if (writing == operation)
            {
                writing = null;
                return true;
            }

            return false;
        }
    }

    /// <summary>Under the lock: a receive; -1 when it would block (the socket is then drained).</summary>
    internal int TryReceive(Span<byte> buffer)
    {
        if (readEnded && !readFailed && readDrained - readEndedAt >= 0)
        {
            return 0;
        }

        int version = readEvents;
        while (true)
        {
            nint received;
            fixed (byte* into = buffer)
            {
                received = recv(fd, into, buffer.Length, 0);
            }

            if (received >= 0)
            {
                // A stream read that comes back short has emptied the receive queue.
                if (received > 0 && received < buffer.Length)
                {
                    readDrained = version;
                }

                return (int)received;
            }

            int errno = Errno;
            if (errno == EIntr)
            {
                continue;
            }

            if (errno == EAgain)
            {
                readDrained = version;
                return -1;
            }

            throw Error(errno);
        }
    }

    /// <summary>Under the lock: whether a wait for bytes is over (0) or must block (-1).</summary>
    internal int PeekReadable()
    {
        // A listener's wait is over whenever it was woken, and so is any wait once the end was announced:
        // the read that follows returns the end or the error.
        if (listening || readEnded)
        {
            return 0;
        }

        int version = readEvents;
        byte probe;
        nint peeked = recv(fd, &probe, 1, MsgPeek | MsgDontWait);
        if (peeked >= 0)
        {
            return 0;
        }

        int errno = Errno;
        if (errno == EAgain)
        {
            readDrained = version;
            return -1;
        }

        throw Error(errno);
    }

    /// <summary>Under the lock: a send; -1 when it would block (the socket is then marked full).</summary>
    internal int TrySend(ReadOnlySpan<byte> data)
    {
        int version = writeEvents;
        while (true)
        {
            nint sent;
            fixed (byte* from = data)
            {
                sent = send(fd, from, data.Length, MsgNoSignal);
            }

            if (sent >= 0)
            {
                if (sent < data.Length)
                {
                    writeDrained = version;
                }

                return (int)sent;
            }

            int errno = Errno;
            if (errno == EIntr)
            {
                continue;
            }

            if (errno == EAgain)
            {
                writeDrained = version;
                return -1;
            }

            throw Error(errno);
        }
    }

    /// <summary>
    /// Under the lock: how a connect ended. A writable event without an error or hang-up is a
    /// connection made; otherwise the socket's pending error says why it failed (0 when a peer that
    /// accepted has already closed again).
    /// </summary>
    internal int ConnectResult() => writeFailed ? PendingError(fd) : 0;
}

internal enum LoopOperationKind
{
    Receive,
    Send,
    Connect,
}

/// <summary>
/// The one pending receive, send or connect of a <see cref="LoopSocket"/>, reused for each: what it
/// waits to do, and the awaitable that completes when the loop (or a cancellation, or a close) ends it.
/// </summary>
internal sealed class LoopOperation : IValueTaskSource<int>, IValueTaskSource
{
    private static readonly Action<object?> CancelCallback = static state => ((LoopOperation)state!).Cancel();

    private readonly LoopSocket socket;
    private ManualResetValueTaskSourceCore<int> core;
    private LoopOperationKind kind;
    private Memory<byte> buffer;
    private ReadOnlyMemory<byte> data;
    private CancellationToken cancellation;
    private CancellationTokenRegistration registration;
    private int result;
    private Exception? error;

    public LoopOperation(LoopSocket socket)
    {
        this.socket = socket;
    }

    public short Version => core.Version;

    /// <summary>Under the socket's lock: arms the operation for a new wait.</summary>
    public void Begin(LoopOperationKind operationKind, Memory<byte> into, ReadOnlyMemory<byte> from, CancellationToken token)
    {
        core.Reset();
        kind = operationKind;
        buffer = into;
        data = from;
        cancellation = token;
        result = 0;
        error = null;
    }

    /// <summary>Under the socket's lock: a token already canceled runs <see cref="Cancel"/> here, which the lock lets through.</summary>
    public void Watch(CancellationToken token)
    {
        if (token.CanBeCanceled)
        {
            registration = token.UnsafeRegister(CancelCallback, this);
        }
    }

    /// <summary>Under the socket's lock, after an event: tries the operation; false when it must keep waiting.</summary>
    public bool TryComplete()
    {
        try
        {
            switch (kind)
            {
                case LoopOperationKind.Receive:
                    // A wait without a buffer is over once woken; a read takes what the event announced.
                    result = buffer.IsEmpty ? 0 : socket.TryReceive(buffer.Span);
                    return result >= 0;
                case LoopOperationKind.Send:
                    result = socket.TrySend(data.Span);
                    return result >= 0;
                default:
                    int pending = socket.ConnectResult();
                    error = pending == 0 ? null : LinuxSockets.Error(pending);
                    return true;
            }
        }
        catch (SocketException exception)
        {
            error = exception;
            return true;
        }
    }

    /// <summary>Outside the socket's lock: completes the awaiter, whose continuation runs on this thread.</summary>
    public void Finish()
    {
        Release();
        if (error is not null)
        {
            core.SetException(error);
        }
        else
        {
            core.SetResult(result);
        }
    }

    /// <summary>Outside the socket's lock: ends the operation with a failure (the socket was closed).</summary>
    public void Fail(Exception failure)
    {
        Release();
        core.SetException(failure);
    }

    private void Cancel()
    {
        if (socket.Withdraw(this))
        {
            Fail(new OperationCanceledException(cancellation));
        }
    }

    private void Release()
    {
        buffer = default;
        data = default;
        CancellationTokenRegistration watched = registration;
        registration = default;
        watched.Dispose();
    }

    int IValueTaskSource<int>.GetResult(short token) => core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        core.OnCompleted(continuation, state, token, flags);
}

/// <summary>Accepts on a listening descriptor through one loop, onto that loop.</summary>
internal sealed class LoopAcceptor : SocketAcceptor
{
    private readonly EpollLoop loop;
    private readonly LoopSocket watched;

    public LoopAcceptor(EpollLoop loop, int listening)
    {
        this.loop = loop;
        watched = LoopSocket.Borrow(loop, listening);
    }

    public override async ValueTask<ProxySocket> AcceptAsync(CancellationToken cancellation)
    {
        while (true)
        {
            if (watched.TryAccept(loop) is LoopSocket accepted)
            {
                return accepted;
            }

            await watched.ReceiveAsync(Memory<byte>.Empty, cancellation).ConfigureAwait(false);
        }
    }

    public override void Dispose() => watched.Dispose();
}

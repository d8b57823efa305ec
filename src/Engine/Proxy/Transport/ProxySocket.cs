using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ClusterExpose.Engine.Proxy.Transport;

/// <summary>
/// One TCP connection of the proxy, client or backend: the operations a relay, an HTTP session and a
/// dialer use, with <see cref="Socket"/>'s failure contract (a <see cref="SocketException"/> for the
/// network, <see cref="ObjectDisposedException"/> after a close, <see cref="OperationCanceledException"/>
/// for a token). Two engines stand behind it: the proxy's own epoll loop on Linux
/// (<see cref="LoopSocket"/>) and the runtime's sockets elsewhere (<see cref="RuntimeSocket"/>).
/// </summary>
internal abstract class ProxySocket : IDisposable
{
    /// <summary>
    /// Whether a wait for bytes (an empty receive) costs no system call and no buffer, because the
    /// engine knows when the socket is readable: then a relay never keeps reads posted, it waits and
    /// reads. The runtime's engine tries a receive before it waits, so there a posted read saves a trip.
    /// </summary>
    public abstract bool WaitsWithoutCost { get; }

    /// <summary>The peer; known from the accept or the connect, so reading it costs no system call.</summary>
    public abstract IPEndPoint? RemoteEndPoint { get; }

    public abstract IPEndPoint? LocalEndPoint { get; }

    /// <summary>
    /// Reads into <paramref name="buffer"/>; 0 at the end of the stream. An empty buffer waits until
    /// bytes (or the end) can be read and takes none, so a quiet connection holds no buffer.
    /// </summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellation = default);

    /// <summary>Sends some of <paramref name="data"/>; how many bytes went.</summary>
    public abstract ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellation = default);

    /// <summary>Connects a socket made by <see cref="SocketEngine.Create"/>.</summary>
    public abstract ValueTask ConnectAsync(IPEndPoint endpoint, CancellationToken cancellation);

    public abstract void Shutdown(SocketShutdown how);

    /// <summary>The close that follows sends a reset instead of a FIN.</summary>
    public abstract void ResetOnClose();

    /// <summary>
    /// Whether an idle connection is still usable: false when the peer closed it, reset it, or sent
    /// bytes nobody asked for.
    /// </summary>
    public abstract bool IdleAndOpen();

    public abstract void Dispose();
}

/// <summary>Which engine carries the proxy's connections.</summary>
public enum SocketEngineKind
{
    /// <summary>The proxy's own epoll loop on Linux, the runtime's sockets elsewhere.</summary>
    Auto,
    /// <summary>The runtime's <see cref="Socket"/> and its socket engine.</summary>
    Runtime,
    /// <summary>The proxy's own epoll loop (Linux only).</summary>
    EventLoop,
}

/// <summary>Makes the sockets of one engine: listeners' accepts and backends' connects.</summary>
internal abstract class SocketEngine
{
    private static readonly Lazy<SocketEngine?> SharedLoops = new(EventLoopEngine.TryCreate);

    /// <summary>The engine a proxy with these options runs on.</summary>
    public static SocketEngine For(SocketEngineKind kind)
    {
        if (kind == SocketEngineKind.Runtime)
        {
            return RuntimeSocketEngine.Instance;
        }

        SocketEngine? loops = SharedLoops.Value;
        if (loops is null && kind == SocketEngineKind.EventLoop)
        {
            throw new PlatformNotSupportedException("The proxy's own event loop needs Linux (epoll) and its C library.");
        }

        return loops ?? RuntimeSocketEngine.Instance;
    }

    public abstract string Name { get; }

    /// <summary>A new, unconnected stream socket for an address family, to be connected with <see cref="ProxySocket.ConnectAsync"/>.</summary>
    public abstract ProxySocket Create(AddressFamily family);

    /// <summary>Takes over accepting on a bound, listening socket: one acceptor per thread that should accept.</summary>
    public abstract IReadOnlyList<SocketAcceptor> Listen(Socket listening);
}

/// <summary>Accepts connections on one listening socket.</summary>
internal abstract class SocketAcceptor : IDisposable
{
    public abstract ValueTask<ProxySocket> AcceptAsync(CancellationToken cancellation);

    public abstract void Dispose();
}

using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ClusterExpose.Engine.Proxy.Transport;

/// <summary>A connection on the runtime's <see cref="Socket"/>: where the proxy's own loop is not available, or asked for.</summary>
internal sealed class RuntimeSocket : ProxySocket
{
    private readonly Socket socket;
    private IPEndPoint? remote;

    public RuntimeSocket(Socket socket)
    {
        this.socket = socket;
        remote = socket.Connected ? socket.RemoteEndPoint as IPEndPoint : null;
    }

    public override bool WaitsWithoutCost => false;

    public override IPEndPoint? RemoteEndPoint => remote;

    public override IPEndPoint? LocalEndPoint => socket.LocalEndPoint as IPEndPoint;

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellation = default) =>
        socket.ReceiveAsync(buffer, SocketFlags.None, cancellation);

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellation = default) =>
        socket.SendAsync(data, SocketFlags.None, cancellation);

    public override async ValueTask ConnectAsync(IPEndPoint endpoint, CancellationToken cancellation)
    {
        await socket.ConnectAsync(endpoint, cancellation).ConfigureAwait(false);
        remote = endpoint;
    }

    public override void Shutdown(SocketShutdown how) => socket.Shutdown(how);

    public override void ResetOnClose() => socket.LingerState = new LingerOption(true, 0);

    public override bool IdleAndOpen() => !socket.Poll(0, SelectMode.SelectRead);

    public override void Dispose() => socket.Dispose();
}

internal sealed class RuntimeSocketEngine : SocketEngine
{
    public static readonly RuntimeSocketEngine Instance = new();

    public override string Name => "runtime";

    public override ProxySocket Create(AddressFamily family) =>
        new RuntimeSocket(new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });

    public override IReadOnlyList<SocketAcceptor> Listen(Socket listening) => new[] { new Acceptor(listening) };

    private sealed class Acceptor : SocketAcceptor
    {
        private readonly Socket listening;

        public Acceptor(Socket listening)
        {
            this.listening = listening;
        }

        public override async ValueTask<ProxySocket> AcceptAsync(CancellationToken cancellation)
        {
            Socket accepted = await listening.AcceptAsync(cancellation).ConfigureAwait(false);
            accepted.NoDelay = true;
            return new RuntimeSocket(accepted);
        }

        public override void Dispose()
        {
        }
    }
}

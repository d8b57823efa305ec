using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Proxy.Transport;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>
/// The proxy's own epoll loop against real loopback sockets of the runtime: the readiness it tracks
/// (an end of stream that came with the last bytes, bytes that come while a receive waits, a send
/// that waits for room), cancellation, close, connect failures and the endpoints it reports.
/// </summary>
public sealed class EventLoopSocketTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly SocketEngine engine = SocketEngine.For(SocketEngineKind.EventLoop);
    private readonly Socket listening = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly SocketAcceptor acceptor;

    public EventLoopSocketTests()
    {
        Assert.True(OperatingSystem.IsLinux(), "The event loop is Linux's; these tests run where the proxy's loop does.");
        listening.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listening.Listen(16);
        acceptor = OneAcceptor(listening);
    }

    private IPEndPoint Endpoint => (IPEndPoint)listening.LocalEndPoint!;

    public void Dispose()
    {
        acceptor.Dispose();
        listening.Dispose();
    }

    [Fact]
    public void TheEngineIsTheProxysOwnLoop()
    {
        Assert.Equal("epoll", engine.Name);
        Assert.Equal("epoll", SocketEngine.For(SocketEngineKind.Auto).Name);
        Assert.Equal("runtime", SocketEngine.For(SocketEngineKind.Runtime).Name);
    }

    [Fact]
    public async Task TheLastBytesAndTheEndOfStreamInOneEventAreBothRead()
    {
        using Socket peer = await ConnectPeerAsync();
        using ProxySocket accepted = await AcceptAsync();
        peer.Send("last words"u8);
        peer.Shutdown(SocketShutdown.Send);
        await Task.Delay(50); // both arrive before the first read: one edge announces them together

        byte[] buffer = new byte[64];
        int read = await accepted.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
        Assert.Equal("last words", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        Assert.Equal(0, await accepted.ReceiveAsync(Memory<byte>.Empty).AsTask().WaitAsync(Patience));
        Assert.Equal(0, await accepted.ReceiveAsync(buffer).AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task BytesThenAResetReadAsTheBytesThenTheResetNeverAsACleanEnd()
    {
        using Socket peer = await ConnectPeerAsync();
        using ProxySocket accepted = await AcceptAsync();
        peer.Send("x"u8);
        peer.LingerState = new LingerOption(true, 0);
        peer.Close();
        await Task.Delay(50); // the byte and the reset arrive before the first read

        byte[] buffer = new byte[64];
        try
        {
            // Linux may keep the byte queued ahead of the error, or drop it with the reset.
            int read = await accepted.ReceiveAsync(buffer).AsTask().WaitAsync(Patience);
            Assert.Equal(1, read);
            Assert.Equal((byte)'x', buffer[0]);
        }
        catch (SocketException first)
        {
            Assert.Equal(SocketError.ConnectionReset, first.SocketErrorCode);
            return;
        }

        SocketException reset = await Assert.ThrowsAsync<SocketException>(() => accepted.ReceiveAsync(buffer).AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }

    [Fact]
    public async Task AReceiveThatWaitsGetsBytesSentLater()
    {
        using Socket peer = await ConnectPeerAsync();
        using ProxySocket accepted = await AcceptAsync();
        byte[] buffer = new byte[64];
        for (int i = 0; i < 50; i++)
        {
            ValueTask<int> waiting = accepted.ReceiveAsync(buffer);
            peer.Send(new[] { (byte)i, (byte)(i + 1) });
            int read = await waiting.AsTask().WaitAsync(Patience);
            Assert.Equal(2, read);
            Assert.Equal(new[] { (byte)i, (byte)(i + 1) }, buffer.Take(2));
        }
    }

    [Fact]
    public async Task AZeroByteWaitTakesNothingAndEndsWhenBytesCome()
    {
        using Socket peer = await ConnectPeerAsync();
        using ProxySocket accepted = await AcceptAsync();
        ValueTask<int> wait = accepted.ReceiveAsync(Memory<byte>.Empty);
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);
        peer.Send("x"u8);
        Assert.Equal(0, await wait.AsTask().WaitAsync(Patience));

        byte[] buffer = new byte[8];
        Assert.Equal(1, await accepted.ReceiveAsync(buffer).AsTask().WaitAsync(Patience));
        Assert.Equal((byte)'x', buffer[0]);
    }

    [Fact]
    public async Task ACanceledReceiveThrowsAndTheNextOneStillWorks()
    {
        using Socket peer = await ConnectPeerAsync();
        using ProxySocket accepted = await AcceptAsync();
        using var cancel = new CancellationTokenSource();
        ValueTask<int> waiting = accepted.ReceiveAsync(new byte[16], cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.AsTask().WaitAsync(Patience));

        byte[] buffer = new byte[16];
        ValueTask<int> next = accepted.ReceiveAsync(buffer);
        peer.Send("after"u8);
        Assert.Equal(5, await next.AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task ClosingEndsAWaitingReceiveAndLaterCallsSayDisposed()
    {
        using Socket peer = await ConnectPeerAsync();
        ProxySocket accepted = await AcceptAsync();
        ValueTask<int> waiting = accepted.ReceiveAsync(new byte[16]);
        accepted.Dispose();
        SocketException aborted = await Assert.ThrowsAsync<SocketException>(() => waiting.AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.OperationAborted, aborted.SocketErrorCode);
        Assert.Throws<ObjectDisposedException>(() => accepted.ReceiveAsync(new byte[1]));
        Assert.Equal(0, peer.Receive(new byte[1])); // the peer sees the close
    }

    [Fact]
    public async Task ShuttingDownTheReceiveSideEndsAWaitingReceive()
    {
        using Socket peer = await ConnectPeerAsync();
        using ProxySocket accepted = await AcceptAsync();
        ValueTask<int> waiting = accepted.ReceiveAsync(new byte[16]);
        accepted.Shutdown(SocketShutdown.Receive);
        Assert.Equal(0, await waiting.AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task AResetCloseResetsThePeer()
    {
        using Socket peer = await ConnectPeerAsync();
        ProxySocket accepted = await AcceptAsync();
        accepted.ResetOnClose();
        accepted.Dispose();
        SocketException reset = Assert.Throws<SocketException>(() => peer.Receive(new byte[1]));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }

    [Fact]
    public async Task ASendThatFindsNoRoomWaitsAndEveryByteArrivesInOrder()
    {
        using Socket peer = await ConnectPeerAsync();
        using ProxySocket accepted = await AcceptAsync();
        byte[] payload = RandomNumberGenerator.GetBytes(16 << 20);

        // Nothing reads yet: the kernel's buffers fill and a send has to wait for room.
        Task sending = Task.Run(async () =>
        {
            ReadOnlyMemory<byte> rest = payload;
            while (!rest.IsEmpty)
            {
                rest = rest.Slice(await accepted.SendAsync(rest));
            }

            accepted.Shutdown(SocketShutdown.Send);
        });
        await Task.Delay(200);
        Assert.False(sending.IsCompleted);

        byte[] received = new byte[payload.Length];
        int filled = 0;
        while (true)
        {
            int read = await peer.ReceiveAsync(received.AsMemory(filled)).AsTask().WaitAsync(Patience);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        await sending.WaitAsync(Patience);
        Assert.Equal(payload.Length, filled);
        Assert.True(payload.AsSpan().SequenceEqual(received));
    }

    [Fact]
    public async Task ConnectingToAClosedPortIsRefused()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closed = (IPEndPoint)probe.LocalEndPoint!;
        probe.Dispose();

        using ProxySocket socket = engine.Create(AddressFamily.InterNetwork);
        SocketException refused = await Assert.ThrowsAsync<SocketException>(() => socket.ConnectAsync(closed, CancellationToken.None).AsTask().WaitAsync(Patience));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task AConnectedSocketTalksBothWaysAndKnowsBothEnds()
    {
        using ProxySocket socket = engine.Create(AddressFamily.InterNetwork);
        Task<ProxySocket> accepting = AcceptAsync();
        await socket.ConnectAsync(Endpoint, CancellationToken.None).AsTask().WaitAsync(Patience);
        using ProxySocket accepted = await accepting;

        Assert.Equal(Endpoint, socket.RemoteEndPoint);
        Assert.Equal(socket.LocalEndPoint, accepted.RemoteEndPoint);
        Assert.Equal(Endpoint, accepted.LocalEndPoint);

        Assert.Equal(4, await socket.SendAsync("ping"u8.ToArray()));
        byte[] buffer = new byte[8];
        Assert.Equal(4, await accepted.ReceiveAsync(buffer).AsTask().WaitAsync(Patience));
        Assert.Equal(4, await accepted.SendAsync("pong"u8.ToArray()));
        Assert.Equal(4, await socket.ReceiveAsync(buffer).AsTask().WaitAsync(Patience));
        Assert.Equal("pong", System.Text.Encoding.ASCII.GetString(buffer, 0, 4));
    }

    [Fact]
    public async Task AnIdleConnectionIsOpenUntilThePeerClosesOrSendsUnasked()
    {
        using Socket peer = await ConnectPeerAsync();
        using ProxySocket accepted = await AcceptAsync();
        Assert.True(accepted.IdleAndOpen());
        peer.Send("?"u8);
        await Task.Delay(50);
        Assert.False(accepted.IdleAndOpen());

        using Socket second = await ConnectPeerAsync();
        using ProxySocket secondAccepted = await AcceptAsync();
        second.Shutdown(SocketShutdown.Send);
        await Task.Delay(50);
        Assert.False(secondAccepted.IdleAndOpen());
    }

    [Fact]
    public async Task IPv6ConnectionsCarryTheirAddresses()
    {
        if (!Socket.OSSupportsIPv6)
        {
            Assert.Fail("This machine has no IPv6 loopback; the proxy's IPv6 path cannot be tested here.");
        }

        using var listener6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        listener6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        listener6.Listen(4);
        using SocketAcceptor acceptor6 = OneAcceptor(listener6);
        using ProxySocket socket = engine.Create(AddressFamily.InterNetworkV6);
        ValueTask<ProxySocket> accepting = acceptor6.AcceptAsync(CancellationToken.None);
        await socket.ConnectAsync((IPEndPoint)listener6.LocalEndPoint!, CancellationToken.None).AsTask().WaitAsync(Patience);
        using ProxySocket accepted = await accepting.AsTask().WaitAsync(Patience);
        Assert.Equal(IPAddress.IPv6Loopback, accepted.RemoteEndPoint!.Address);
        Assert.Equal(socket.LocalEndPoint, accepted.RemoteEndPoint);
    }

    [Fact]
    public async Task StoppingAnAcceptorEndsItsWaitingAccept()
    {
        using var cancel = new CancellationTokenSource();
        ValueTask<ProxySocket> waiting = acceptor.AcceptAsync(cancel.Token);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task EachLoopWatchesTheListenerAndNoConnectionIsLostBetweenThem()
    {
        using var shared = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        shared.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        shared.Listen(64);
        IReadOnlyList<SocketAcceptor> lanes = engine.Listen(shared);
        Assert.Equal(Math.Clamp(Environment.ProcessorCount, 1, 4), lanes.Count);
        using var stop = new CancellationTokenSource();
        var accepted = new System.Collections.Concurrent.ConcurrentBag<ProxySocket>();
        Task[] loops = lanes.Select(lane => Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await lane.AcceptAsync(stop.Token));
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();

        var peers = new List<Socket>();
        for (int i = 0; i < 40; i++)
        {
            var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await peer.ConnectAsync(shared.LocalEndPoint!);
            peers.Add(peer);
        }

        await ProxyRoutingTests.WaitUntil(() => accepted.Count == 40);
        stop.Cancel();
        await Task.WhenAll(loops).WaitAsync(Patience);
        Assert.All(accepted, s => Assert.Contains(s.RemoteEndPoint, peers.Select(p => p.LocalEndPoint)));
        foreach (SocketAcceptor lane in lanes)
        {
            lane.Dispose();
        }

        foreach (ProxySocket socket in accepted)
        {
            socket.Dispose();
        }

        peers.ForEach(p => p.Dispose());
    }

    /// <summary>The acceptor of one loop: the others leave the listener, so every connection comes to it.</summary>
    private SocketAcceptor OneAcceptor(Socket listener)
    {
        IReadOnlyList<SocketAcceptor> lanes = engine.Listen(listener);
        foreach (SocketAcceptor other in lanes.Skip(1))
        {
            other.Dispose();
        }

        return lanes[0];
    }

    private async Task<Socket> ConnectPeerAsync()
    {
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await peer.ConnectAsync(Endpoint);
        return peer;
    }

    private async Task<ProxySocket> AcceptAsync() => await acceptor.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
}

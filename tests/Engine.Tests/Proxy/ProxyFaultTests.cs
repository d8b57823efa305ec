using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Probes;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Proxy.Transport;
using ClusterExpose.Engine.Tests.Probes;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>The rows of RELIABILITY.md on loopback: faults from clients and backends, limits, stop and reload.</summary>
public class ProxyFaultTests
{
    /// <summary>Which engine carries the proxy's connections in these tests; a derived class runs them all again on the other.</summary>
    protected virtual SocketEngineKind Engine => SocketEngineKind.Auto;

    private ProxyUnderTest StartProxy(IReadOnlyList<IExposeResource> resources, Action<SniProxyOptions>? configure = null) =>
        ProxyUnderTest.Start(Engine, resources, configure);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AHalfClosedClientStillReadsTheWholeReply()
    {
        await using LoopbackServer echo = Backends.EchoAfterEof();
        int port = Backends.ClosedPort();
        await using ProxyUnderTest proxy = StartProxy(new IExposeResource[] { ProxyUnderTest.Forward("db", port, echo.Port) });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        byte[] payload = RandomNumberGenerator.GetBytes(300_000);
        await client.GetStream().WriteAsync(payload);
        client.Client.Shutdown(SocketShutdown.Send);

        Assert.Equal(payload, await ReadToEndAsync(client));
    }

    [Fact]
    public async Task AServerThatClosesFirstStillReadsTheClientsLastBytesAndACleanEnd()
    {
        // The server says goodbye and shuts its side; the client answers after that and closes. The
        // relay's second FIN goes out with the close of the server's socket: the server must read the
        // answer and then the end of the stream, not a reset.
        var heard = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new LoopbackServer(async (client, token) =>
        {
            NetworkStream stream = client.GetStream();
            await stream.WriteAsync("bye"u8.ToArray(), token);
            client.Client.Shutdown(SocketShutdown.Send);
            try
            {
                var all = new MemoryStream();
                await stream.CopyToAsync(all, token);
                heard.TrySetResult(Encoding.ASCII.GetString(all.ToArray()) + "|end");
            }
            catch (Exception exception) when (exception is IOException or SocketException)
            {
                heard.TrySetResult("reset: " + exception.Message);
            }
        });
        int port = Backends.ClosedPort();
        await using ProxyUnderTest proxy = StartProxy(new IExposeResource[] { ProxyUnderTest.Forward("db", port, server.Port) });

        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
            Assert.Equal("bye"u8.ToArray(), await ReadToEndAsync(client));
            await client.GetStream().WriteAsync("late answer"u8.ToArray());
        }

        Assert.Equal("late answer|end", await heard.Task.WaitAsync(Patience));
    }

    [Theory]
    [InlineData(ProxyProtocolVersion.V1)]
    [InlineData(ProxyProtocolVersion.V2)]
    public async Task ThePROXYHeaderComesFirstAndOnce(ProxyProtocolVersion version)
    {
        var captured = new List<byte[]>();
        await using LoopbackServer capture = Backends.Capturing(captured, 200);
        int port = Backends.ClosedPort();
        await using ProxyUnderTest proxy = StartProxy(new IExposeResource[] { ProxyUnderTest.Forward("db", port, capture.Port, version) });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        await client.GetStream().WriteAsync("payload"u8.ToArray());
        client.Client.Shutdown(SocketShutdown.Send);
        await ProxyRoutingTests.WaitUntil(() => captured.Count == 1);

        var local = (IPEndPoint)client.Client.LocalEndPoint!;
        byte[] expected = ProxyProtocolHeader.Build(version, local, new IPEndPoint(IPAddress.Loopback, port))
            .Concat("payload"u8.ToArray()).ToArray();
        Assert.Equal(expected, captured[0]);
    }

    [Fact]
    public async Task ASilentOrSlowClientGetsAnAlertAtTheHandshakeDeadline()
    {
        await using LoopbackServer echo = Backends.StreamingEcho();
        await using ProxyUnderTest proxy = StartProxy(
            new IExposeResource[] { ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, echo.Port, echo.Port) },
            o => o.HandshakeTimeout = TimeSpan.FromSeconds(1));
        byte[] handshakeFailure = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40 };

        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tls));
        Assert.Equal(handshakeFailure, await ReadToEndAsync(silent));

        // The start of a valid hello, one byte at a time, then nothing (well before the deadline, so no
        // byte is left unread to turn the close into a reset): never routed, refused at the deadline.
        byte[] hello = ClientHelloParserTests.Hello("openssl-sni-alpn.bin");
        using var slow = new TcpClient();
        await slow.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tls));
        for (int i = 0; i < 3; i++)
        {
            await slow.GetStream().WriteAsync(hello.AsMemory(i, 1));
            await Task.Delay(50);
        }

        Assert.Equal(handshakeFailure, await ReadToEndAsync(slow));
        Assert.Equal(2, proxy.Rejections(RejectionReason.HandshakeTimeout));
        Assert.Equal(0, proxy.Server.Describe().Routes.Sum(r => r.TotalConnections));
    }

    [Fact]
    public async Task ARefusingBackendGetsAnAlertA502OrAClose()
    {
        int dead = Backends.ClosedPort();
        int port = Backends.ClosedPort();
        await using ProxyUnderTest proxy = StartProxy(new IExposeResource[]
        {
            ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, dead, dead),
            ProxyUnderTest.Forward("db", port, dead),
        });

        var tls = await Assert.ThrowsAsync<ClusterExposeException>(() =>
            EndpointProbe.ProbeTlsAsync("kl.example.top", "127.0.0.1", proxy.Port(ListenerKind.Tls), new[] { "h2" }, Patience, CancellationToken.None));
        Assert.Contains("handshake_failure", tls.Message);
        Assert.StartsWith("HTTP/1.1 502 ", await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Http), "GET / HTTP/1.1\r\nHost: kl.example.top\r\n\r\n"));
        // A plain port reads nothing before connecting, so the client that sent nothing sees a clean close.
        Assert.Equal(string.Empty, await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Tcp), string.Empty));
        Assert.Equal(3, proxy.Rejections(RejectionReason.BackendUnavailable));
        Assert.Equal(1, proxy.Server.Describe().Routes.Single(r => r.Router == "default/db-tcp").BackendFailures);
    }

    [Fact]
    public async Task ABackendThatNeverAcceptsTimesOutWith504()
    {
        // A listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs.
        using var stuck = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        stuck.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        stuck.Listen(0);
        int stuckPort = ((IPEndPoint)stuck.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        for (int i = 0; i < 8; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                filler.Connect(IPAddress.Loopback, stuckPort);
            }
            catch (SocketException)
            {
            }

            fillers.Add(filler);
        }

        try
        {
            await using ProxyUnderTest proxy = StartProxy(
                new IExposeResource[] { ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, stuckPort, stuckPort) },
                o => o.ConnectTimeout = TimeSpan.FromMilliseconds(300));
            Assert.StartsWith("HTTP/1.1 504 ", await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Http), "GET / HTTP/1.1\r\nHost: kl.example.top\r\n\r\n"));
            Assert.Equal(1, proxy.Rejections(RejectionReason.BackendTimeout));
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task AResetFromTheBackendResetsTheClient()
    {
        await using LoopbackServer resetting = Backends.Resetting();
        int port = Backends.ClosedPort();
        await using ProxyUnderTest proxy = StartProxy(new IExposeResource[] { ProxyUnderTest.Forward("db", port, resetting.Port) });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        await client.GetStream().WriteAsync("trigger"u8.ToArray());
        var failure = await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(client));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(failure.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task AQuietRelayGivesItsBuffersBackAndCarriesOnWhenTrafficResumes()
    {
        await using LoopbackServer echo = Backends.StreamingEcho();
        int port = Backends.ClosedPort();
        await using ProxyUnderTest proxy = StartProxy(new IExposeResource[] { ProxyUnderTest.Forward("db", port, echo.Port) });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        await ProxyRoutingTests.WaitUntil(() => proxy.Server.Describe().ActiveConnections == 1);
        // A plain port starts without a posted read: nothing has been said yet.
        Assert.Equal(0, proxy.Server.Describe().BusyRelays);

        var buffer = new byte[5];
        async Task ExchangeAsync(string message)
        {
            await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(message));
            await client.GetStream().ReadExactlyAsync(buffer);
            Assert.Equal(message, Encoding.ASCII.GetString(buffer));
        }

        if (proxy.Server.SocketEngine.Name == "epoll")
        {
            // The proxy's own loop waits without a buffer after every burst and never posts a read.
            for (int round = 0; round < 3; round++)
            {
                await ExchangeAsync("hello");
                await ProxyRoutingTests.WaitUntil(() => proxy.Server.Describe().BufferBytes == 0);
                Assert.Equal(0, proxy.Server.Describe().BusyRelays);
            }

            Assert.Equal(1, proxy.Server.Describe().ActiveConnections);
            return;
        }

        for (int round = 0; round < 2; round++)
        {
            // One message is a one-off: still no posted read. A second is a conversation: reads stay posted.
            await ExchangeAsync("first");
            Assert.Equal(0, proxy.Server.Describe().BusyRelays);
            await ExchangeAsync("again");
            Assert.Equal(1, proxy.Server.Describe().BusyRelays);

            // A second or two without traffic: the posted reads are canceled and their buffers returned,
            // without losing the connection or a byte of what comes next.
            await ProxyRoutingTests.WaitUntil(() => proxy.Server.Describe().BusyRelays == 0);
            Assert.Equal(1, proxy.Server.Describe().ActiveConnections);
        }
    }

    [Fact]
    public async Task AnIdleConnectionIsClosed()
    {
        await using LoopbackServer echo = Backends.StreamingEcho();
        int port = Backends.ClosedPort();
        await using ProxyUnderTest proxy = StartProxy(
            new IExposeResource[] { ProxyUnderTest.Forward("db", port, echo.Port) },
            o => o.IdleTimeout = TimeSpan.FromSeconds(1));

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        await client.GetStream().WriteAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        await client.GetStream().ReadExactlyAsync(buffer);
        Assert.Equal("ping"u8.ToArray(), buffer);

        // Nothing more either way: the proxy ends the connection (abortively, both sides).
        await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(client));
        await ProxyRoutingTests.WaitUntil(() => proxy.Server.Describe().ActiveConnections == 0);
    }

    [Fact]
    public async Task PerSourceAndGlobalLimitsRefuseTheConnectionOverTheLimit()
    {
        await using LoopbackServer echo = Backends.StreamingEcho();
        int port = Backends.ClosedPort();
        await using ProxyUnderTest proxy = StartProxy(
            new IExposeResource[] { ProxyUnderTest.Forward("db", port, echo.Port) },
            o => o.MaxConnectionsPerSource = 2);

        var held = new List<TcpClient>();
        for (int i = 0; i < 2; i++)
        {
            var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
            await client.GetStream().WriteAsync("x"u8.ToArray());
            await client.GetStream().ReadExactlyAsync(new byte[1]);
            held.Add(client);
        }

        using var third = new TcpClient();
        await third.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        Assert.Empty(await ReadToEndAsync(third));
        Assert.Equal(1, proxy.Rejections(RejectionReason.SourceLimit));

        // Closing one makes room again.
        held[0].Dispose();
        await ProxyRoutingTests.WaitUntil(() => proxy.Server.Describe().ActiveConnections == 1);
        using var again = new TcpClient();
        await again.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        await again.GetStream().WriteAsync("y"u8.ToArray());
        var reply = new byte[1];
        await again.GetStream().ReadExactlyAsync(reply);
        Assert.Equal((byte)'y', reply[0]);
        held.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task ASlowReaderSlowsTheWriterInsteadOfFillingMemory()
    {
        // A backend that accepts and never reads.
        var gate = new TaskCompletionSource();
        await using var sink = new LoopbackServer(async (client, token) => await gate.Task.WaitAsync(token));
        int port = Backends.ClosedPort();
        await using ProxyUnderTest proxy = StartProxy(new IExposeResource[] { ProxyUnderTest.Forward("db", port, sink.Port) });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        byte[] chunk = new byte[64 * 1024];
        long written = 0;
        using var stall = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            while (written < 512L * 1024 * 1024)
            {
                await client.GetStream().WriteAsync(chunk, stall.Token);
                written += chunk.Length;
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Only socket buffers and one relay buffer sit between the two: the writer stalled early.
        long forwarded = proxy.Server.Describe().Routes.Single().BytesFromClients;
        Assert.True(written < 128L * 1024 * 1024, $"the writer was never slowed down: {written} bytes written");
        Assert.True(forwarded <= written);
        gate.SetResult();
    }

    [Fact]
    public async Task AGracefulStopLetsAConnectionFinishAndRefusesNewOnes()
    {
        await using LoopbackServer echo = Backends.EchoAfterEof();
        int port = Backends.ClosedPort();
        ProxyUnderTest proxy = StartProxy(new IExposeResource[] { ProxyUnderTest.Forward("db", port, echo.Port) });
        int proxyPort = proxy.Port(ListenerKind.Tcp);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxyPort);
        byte[] first = RandomNumberGenerator.GetBytes(100_000);
        await client.GetStream().WriteAsync(first);

        // A connection the proxy has taken; one still in the kernel's backlog is reset with the listener.
        await ProxyRoutingTests.WaitUntil(() => proxy.Server.Describe().ActiveConnections == 1);
        Task stopping = proxy.Server.StopAsync(TimeSpan.FromSeconds(15));
        await ProxyRoutingTests.WaitUntil(() => proxy.Server.State == SniProxyState.Stopping);

        await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var late = new TcpClient();
            await late.ConnectAsync(IPAddress.Loopback, proxyPort);
        });

        byte[] second = RandomNumberGenerator.GetBytes(100_000);
        await client.GetStream().WriteAsync(second);
        client.Client.Shutdown(SocketShutdown.Send);
        Assert.Equal(first.Concat(second).ToArray(), await ReadToEndAsync(client));
        await stopping;
        Assert.Equal(SniProxyState.Stopped, proxy.Server.State);
    }

    [Fact]
    public async Task AStopDeadlineResetsWhatIsLeft()
    {
        await using LoopbackServer echo = Backends.StreamingEcho();
        int port = Backends.ClosedPort();
        ProxyUnderTest proxy = StartProxy(new IExposeResource[] { ProxyUnderTest.Forward("db", port, echo.Port) });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        await client.GetStream().WriteAsync("x"u8.ToArray());
        await client.GetStream().ReadExactlyAsync(new byte[1]);

        await proxy.Server.StopAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(SniProxyState.Stopped, proxy.Server.State);
        await Assert.ThrowsAsync<IOException>(() => ReadToEndAsync(client));
    }

    [Fact]
    public async Task AHundredReloadsDuringAStreamLeaveItsBytesIntact()
    {
        await using LoopbackServer echo = Backends.StreamingEcho();
        await using LoopbackServer otherHttp = Backends.Http("other");
        int port = Backends.ClosedPort();
        var options = new SniProxyOptions { ListenAddresses = new[] { IPAddress.Loopback }, HttpPort = 0, HttpsPort = 0 };
        TcpForward forward = ProxyUnderTest.Forward("db", port, echo.Port);
        ExposedHost web = ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, otherHttp.Port, otherHttp.Port);
        await using ProxyUnderTest proxy = StartProxy(new IExposeResource[] { forward });

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        byte[] payload = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        Task<byte[]> reading = ReadExactlyAsync(client, payload.Length);
        Task writing = Task.Run(async () =>
        {
            for (int offset = 0; offset < payload.Length; offset += 16 * 1024)
            {
                await client.GetStream().WriteAsync(payload.AsMemory(offset, 16 * 1024));
            }
        });

        for (int i = 0; i < 100; i++)
        {
            IExposeResource[] set = i % 2 == 0 ? new IExposeResource[] { forward, web } : new IExposeResource[] { forward };
            proxy.Server.Reload(ProxyRouteSet.Build(set, options, out _)!);
        }

        await writing;
        Assert.Equal(payload, await reading);
        Assert.Equal(1, proxy.Server.Describe().Routes.Single(r => r.Router == "default/db-tcp").TotalConnections);
    }

    [Fact]
    public async Task AReloadSendsNewConnectionsToTheNewBackendAndKeepsOldOnes()
    {
        await using LoopbackServer first = Backends.StreamingEcho();
        await using LoopbackServer second = Backends.Http("second");
        int port = Backends.ClosedPort();
        var options = new SniProxyOptions { ListenAddresses = new[] { IPAddress.Loopback }, HttpPort = 0, HttpsPort = 0 };
        await using ProxyUnderTest proxy = StartProxy(new IExposeResource[] { ProxyUnderTest.Forward("db", port, first.Port) });

        using var old = new TcpClient();
        await old.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
        await old.GetStream().WriteAsync("a"u8.ToArray());
        await old.GetStream().ReadExactlyAsync(new byte[1]);

        proxy.Server.Reload(ProxyRouteSet.Build(new IExposeResource[] { ProxyUnderTest.Forward("db", port, second.Port) }, options, out _)!);

        Assert.StartsWith("HTTP/1.1 200 OK", await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Tcp), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        await old.GetStream().WriteAsync("b"u8.ToArray());
        var reply = new byte[1];
        await old.GetStream().ReadExactlyAsync(reply);
        Assert.Equal((byte)'b', reply[0]);
    }

    /// <summary>Reads from the socket itself until EOF (a stream refuses once this side shut down its send direction).</summary>
    private static async Task<byte[]> ReadToEndAsync(TcpClient client)
    {
        using var deadline = new CancellationTokenSource(Patience);
        var all = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        try
        {
            while ((read = await client.Client.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0)
            {
                all.Write(buffer, 0, read);
            }
        }
        catch (SocketException exception)
        {
            throw new IOException("reset", exception);
        }

        return all.ToArray();
    }

    private static async Task<byte[]> ReadExactlyAsync(TcpClient client, int length)
    {
        var buffer = new byte[length];
        using var deadline = new CancellationTokenSource(Patience);
        await client.GetStream().ReadExactlyAsync(buffer, deadline.Token);
        return buffer;
    }
}

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Proxy.Transport;
using ClusterExpose.Engine.Tests.Probes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>
/// The HTTP listener routes every request of a keep-alive connection by its own Host. The backends
/// are real HTTP servers (Kestrel, each answering with its name, the Host it saw and the id of the
/// connection the request came on); the clients are curl, HttpClient, ClientWebSocket, and raw
/// sockets where a case needs bytes no well-behaved client sends.
/// </summary>
public class HttpPerRequestTests : IAsyncLifetime
{
    /// <summary>Which engine carries the proxy's connections in these tests; a derived class runs them all again on the other.</summary>
    protected virtual SocketEngineKind Engine => SocketEngineKind.Auto;

    private ProxyUnderTest StartProxy(IReadOnlyList<IExposeResource> resources, Action<SniProxyOptions>? configure = null) =>
        ProxyUnderTest.Start(Engine, resources, configure);

    private KestrelBackend alpha = null!;
    private KestrelBackend beta = null!;
    private ProxyUnderTest proxy = null!;

    private int Port => proxy.Port(ListenerKind.Http);

    public async Task InitializeAsync()
    {
        alpha = await KestrelBackend.StartAsync("alpha");
        beta = await KestrelBackend.StartAsync("beta");
        proxy = StartProxy(new IExposeResource[]
        {
            ProxyUnderTest.Host("alpha", new[] { "alpha.example.top" }, alpha.Port, 1),
            ProxyUnderTest.Host("beta", new[] { "beta.example.top" }, beta.Port, 1),
        });
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        await alpha.DisposeAsync();
        await beta.DisposeAsync();
    }

    [Fact]
    public async Task TwoHostsOnOneKeepAliveConnectionReachTheirOwnBackends()
    {
        // curl keeps one connection for one URL host; the Host headers differ per request.
        string url = $"http://127.0.0.1:{Port}/";
        (int exit, string output) = await Tools.RunAsync("curl",
            $"-s --max-time 20 -H \"Host: alpha.example.top\" {url} --next -s -H \"Host: beta.example.top\" {url} --next -s -H \"Host: alpha.example.top\" {url}", string.Empty);
        Assert.Equal(0, exit);
        string[] answers = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, answers.Length);
        Assert.StartsWith("alpha alpha.example.top ", answers[0]);
        Assert.StartsWith("beta beta.example.top ", answers[1]);
        Assert.StartsWith("alpha alpha.example.top ", answers[2]);

        // One client connection; alpha's backend connection was kept and reused for the third request.
        Assert.Equal(1, proxy.Server.Describe().Listeners.Single(l => l.Kind == "Http").TotalConnections);
        Assert.Equal(answers[0].Split(' ')[2], answers[2].Split(' ')[2]);
        Assert.Equal(2, alpha.Requests);
        Assert.Equal(1, beta.Requests);
        await WaitUntil(() => proxy.Server.Describe().ActiveConnections == 0);
        SniProxyInfo info = proxy.Server.Describe();
        Assert.Equal(1, info.Routes.Single(r => r.Router == "default/beta-http").TotalConnections);
        Assert.Equal(1, info.Routes.Single(r => r.Router == "default/alpha-http").TotalConnections);
    }

    [Fact]
    public async Task HttpClientKeepsItsConnectionAcrossRequests()
    {
        using var client = LoopbackClient(Port);
        var bodies = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            bodies.Add(await client.GetStringAsync("http://beta.example.top/"));
        }

        Assert.All(bodies, b => Assert.StartsWith($"beta beta.example.top ", b));
        Assert.Single(bodies.Select(b => b.Split(' ')[2]).Distinct());
        Assert.Equal(1, proxy.Server.Describe().Listeners.Single(l => l.Kind == "Http").TotalConnections);
        Assert.Equal(5, proxy.Server.Describe().Routes.Single(r => r.Router == "default/beta-http").Requests);
    }

    [Fact]
    public async Task PipelinedRequestsAreAnsweredInOrderEachByItsOwnBackend()
    {
        await using var raw = await RawConnection.OpenAsync(Port);
        await raw.SendAsync(
            "GET /1 HTTP/1.1\r\nHost: alpha.example.top\r\n\r\n" +
            "POST /echo HTTP/1.1\r\nHost: beta.example.top\r\nContent-Length: 11\r\n\r\nhello world" +
            "GET /3 HTTP/1.1\r\nHost: beta.example.top\r\n\r\n" +
            "GET /4 HTTP/1.1\r\nHost: alpha.example.top\r\nConnection: close\r\n\r\n");
        RawResponse first = await raw.ReadResponseAsync();
        RawResponse second = await raw.ReadResponseAsync();
        RawResponse third = await raw.ReadResponseAsync();
        RawResponse fourth = await raw.ReadResponseAsync();
        Assert.StartsWith("alpha alpha.example.top ", first.Body);
        Assert.Equal("beta echo 11 hello world", second.Body);
        Assert.StartsWith("beta beta.example.top ", third.Body);
        Assert.StartsWith("alpha alpha.example.top ", fourth.Body);
        Assert.True(await raw.ClosedAsync(), "Connection: close ends the connection after its response");
    }

    [Fact]
    public async Task AChunkedBodyWithTrailersPassesAndTheNextRequestFollows()
    {
        await using var raw = await RawConnection.OpenAsync(Port);
        await raw.SendAsync(
            "POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "5\r\nhello\r\n6;note=\"ext\"\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n" +
            "GET / HTTP/1.1\r\nHost: beta.example.top\r\n\r\n");
        RawResponse echo = await raw.ReadResponseAsync();
        Assert.Equal(200, echo.Status);
        Assert.Equal("alpha echo 11 hello world trailer=42", echo.Body);
        Assert.StartsWith("beta beta.example.top ", (await raw.ReadResponseAsync()).Body);
    }

    [Fact]
    public async Task ChunkedResponsesAndHeadResponsesAreFollowedToTheirEnd()
    {
        await using var raw = await RawConnection.OpenAsync(Port);
        await raw.SendAsync("GET /stream HTTP/1.1\r\nHost: alpha.example.top\r\n\r\n");
        RawResponse streamed = await raw.ReadResponseAsync();
        Assert.True(streamed.Chunked, "Kestrel chunks a response written without a length");
        Assert.Equal(string.Concat(Enumerable.Range(0, 50).Select(i => $"part {i}\n")), streamed.Body);

        await raw.SendAsync("HEAD /sized HTTP/1.1\r\nHost: alpha.example.top\r\n\r\n");
        RawResponse head = await raw.ReadResponseAsync(bodyExpected: false);
        Assert.Equal("5000", head.Headers["content-length"]);

        await raw.SendAsync("GET /sized HTTP/1.1\r\nHost: beta.example.top\r\n\r\n");
        Assert.Equal(new string('b', 5000), (await raw.ReadResponseAsync()).Body);
    }

    [Fact]
    public async Task ExpectContinueGetsTheBackendsInterimAnswerBeforeTheBodyIsSent()
    {
        await using var raw = await RawConnection.OpenAsync(Port);
        await raw.SendAsync("POST /echo HTTP/1.1\r\nHost: beta.example.top\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");

        // Nothing of the body is sent until the backend says go on: the interim answer must come through.
        RawResponse interim = await raw.ReadResponseAsync(bodyExpected: false);
        Assert.Equal(100, interim.Status);
        await raw.SendAsync("ping");
        RawResponse final = await raw.ReadResponseAsync();
        Assert.Equal("beta echo 4 ping", final.Body);

        // curl does the same dance with a larger body.
        string file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, new string('x', 3000));
            (int exit, string output) = await Tools.RunAsync("curl",
                $"-s --max-time 20 -H \"Expect: 100-continue\" --data-binary @{file} --resolve alpha.example.top:{Port}:127.0.0.1 http://alpha.example.top:{Port}/echo", string.Empty);
            Assert.Equal(0, exit);
            Assert.Equal("alpha echo 3000 " + new string('x', 3000), output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task AWebSocketUpgradeBecomesATunnelToThatBackend()
    {
        using var socket = new ClientWebSocket();
        using var invoker = new HttpMessageInvoker(LoopbackHandler(Port));
        await socket.ConnectAsync(new Uri("ws://beta.example.top/ws"), invoker, CancellationToken.None);
        for (int i = 0; i < 3; i++)
        {
            byte[] message = Encoding.UTF8.GetBytes($"message {i}");
            await socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[256];
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            Assert.Equal($"beta says message {i}", Encoding.UTF8.GetString(buffer, 0, result.Count));
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        Assert.Equal(WebSocketState.Closed, socket.State);
    }

    [Theory]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nContent-Length: 5, 5\r\n\r\nhello")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nContent-Length: +5\r\n\r\nhello")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nTransfer-Encoding: gzip\r\n\r\nhello")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n")]
    [InlineData("POST /echo HTTP/1.0\r\nHost: alpha.example.top\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n")]
    [InlineData("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n")]
    public async Task FramingThatCannotBeFollowedIsRefusedWith400BeforeABackendSeesIt(string request)
    {
        await using var raw = await RawConnection.OpenAsync(Port);
        await raw.SendAsync(request + "GET /smuggled HTTP/1.1\r\nHost: beta.example.top\r\n\r\n");
        RawResponse answer = await raw.ReadResponseAsync();
        Assert.Equal(400, answer.Status);
        Assert.True(await raw.ClosedAsync());
        Assert.Equal(0, alpha.Requests);
        Assert.Equal(0, beta.Requests);
    }

    [Fact]
    public async Task AChunkSizeBrokenAfterTheHeadWentOnGets400AndTheBackendNeverGetsAWholeRequest()
    {
        await using var raw = await RawConnection.OpenAsync(Port);
        await raw.SendAsync("POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        await WaitUntil(() => proxy.Server.Describe().Routes.Single(r => r.Router == "default/alpha-http").TotalConnections == 1);
        await raw.SendAsync("nothex\r\n");
        RawResponse answer = await raw.ReadResponseAsync();
        Assert.Equal(400, answer.Status);
        Assert.True(await raw.ClosedAsync());
        Assert.Equal(0, alpha.Completed);
    }

    [Fact]
    public async Task ARequestHiddenInABodyStaysBody()
    {
        // The body's length is what the framing says: the "request" inside reaches alpha as bytes of the body.
        string hidden = "GET /admin HTTP/1.1\r\nHost: beta.example.top\r\n\r\n";
        await using var raw = await RawConnection.OpenAsync(Port);
        await raw.SendAsync($"POST /echo HTTP/1.1\r\nHost: alpha.example.top\r\nContent-Length: {hidden.Length}\r\n\r\n{hidden}");
        RawResponse echo = await raw.ReadResponseAsync();
        Assert.Equal($"alpha echo {hidden.Length} {hidden}", echo.Body);
        Assert.Equal(0, beta.Requests);
    }

    [Fact]
    public async Task PlainResponsesEndingAtCloseAndBackendsClosingKeptConnectionsAreHandled()
    {
        var seen = new ConcurrentQueue<string>();
        await using LoopbackServer odd = OddBackend(seen);
        await using ProxyUnderTest local = StartProxy(new IExposeResource[]
        {
            ProxyUnderTest.Host("odd", new[] { "odd.example.top" }, odd.Port, 1),
        });
        int port = local.Port(ListenerKind.Http);

        // 1: a response with no length runs to the backend's close, and the client's connection ends with it.
        await using (RawConnection raw = await RawConnection.OpenAsync(port))
        {
            await raw.SendAsync("GET /until-close HTTP/1.1\r\nHost: odd.example.top\r\n\r\n");
            Assert.Equal("no length, ends at close", await raw.ReadToEndAsync(afterHead: true));
        }

        // 2: a kept backend connection that the backend closed while idle: the next request with no body goes on a new one.
        await using (RawConnection raw = await RawConnection.OpenAsync(port))
        {
            await raw.SendAsync("GET /then-close-idle HTTP/1.1\r\nHost: odd.example.top\r\n\r\n");
            Assert.Equal("kept, closing soon", (await raw.ReadResponseAsync()).Body);
            await WaitUntil(() => seen.Count(s => s == "closed idle") == 1);
            await raw.SendAsync("GET /again HTTP/1.1\r\nHost: odd.example.top\r\n\r\n");
            Assert.Equal("again", (await raw.ReadResponseAsync()).Body);
            await raw.SendAsync("GET /again HTTP/1.1\r\nHost: odd.example.top\r\n\r\n");
            Assert.Equal("again", (await raw.ReadResponseAsync()).Body);
        }

        // 3: a kept connection the backend closes on receiving the next request, with no answer: a GET
        // is sent again on a new connection, a POST (not idempotent) is not, and gets 502.
        await using (RawConnection raw = await RawConnection.OpenAsync(port))
        {
            await raw.SendAsync("GET /drop-next HTTP/1.1\r\nHost: odd.example.top\r\n\r\n");
            Assert.Equal("again", (await raw.ReadResponseAsync()).Body);
            await raw.SendAsync("GET /retried HTTP/1.1\r\nHost: odd.example.top\r\n\r\n");
            Assert.Equal("again", (await raw.ReadResponseAsync()).Body);
        }

        await using (RawConnection raw = await RawConnection.OpenAsync(port))
        {
            await raw.SendAsync("GET /drop-next HTTP/1.1\r\nHost: odd.example.top\r\n\r\n");
            Assert.Equal("again", (await raw.ReadResponseAsync()).Body);
            await raw.SendAsync("POST /not-retried HTTP/1.1\r\nHost: odd.example.top\r\nContent-Length: 2\r\n\r\nhi");
            Assert.Equal(502, (await raw.ReadResponseAsync()).Status);
        }

        Assert.Equal(
            new[] { "/until-close", "/then-close-idle", "/again", "/again", "/drop-next", "/retried (dropped)", "/retried", "/drop-next", "/not-retried (dropped)" },
            seen.Where(s => s.StartsWith('/')).ToArray());

        // Backend connections: one ended at close, one closed while idle and its replacement (used twice),
        // a dropping one and the retry's, and a dropping one for the POST.
        Assert.Equal(6, seen.Count(s => s == "connected"));
    }

    [Fact]
    public async Task AnIdleKeepAliveConnectionEndsAtTheKeepAliveTimeoutAndAtAStop()
    {
        await using ProxyUnderTest local = StartProxy(new IExposeResource[]
        {
            ProxyUnderTest.Host("alpha", new[] { "alpha.example.top" }, alpha.Port, 1),
        }, options => options.KeepAliveTimeout = TimeSpan.FromMilliseconds(300));
        await using (RawConnection raw = await RawConnection.OpenAsync(local.Port(ListenerKind.Http)))
        {
            await raw.SendAsync("GET / HTTP/1.1\r\nHost: alpha.example.top\r\n\r\n");
            Assert.StartsWith("alpha ", (await raw.ReadResponseAsync()).Body);
            Assert.True(await raw.ClosedAsync(), "closed by the keep-alive timeout");
        }

        await using ProxyUnderTest draining = StartProxy(new IExposeResource[]
        {
            ProxyUnderTest.Host("alpha", new[] { "alpha.example.top" }, alpha.Port, 1),
        });
        await using RawConnection idle = await RawConnection.OpenAsync(draining.Port(ListenerKind.Http));
        await idle.SendAsync("GET / HTTP/1.1\r\nHost: alpha.example.top\r\n\r\n");
        Assert.StartsWith("alpha ", (await idle.ReadResponseAsync()).Body);

        // A drain of ten minutes: a connection between requests has nothing to finish and closes at once.
        Task stop = draining.Server.StopAsync(TimeSpan.FromMinutes(10));
        Assert.True(await idle.ClosedAsync());
        await stop.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(SniProxyState.Stopped, draining.Server.State);
    }

    [Fact]
    public async Task AnUnknownHostOnALaterRequestGets404AndEarlierAnswersStand()
    {
        await using var raw = await RawConnection.OpenAsync(Port);
        await raw.SendAsync("GET / HTTP/1.1\r\nHost: alpha.example.top\r\n\r\nGET / HTTP/1.1\r\nHost: gamma.example.top\r\n\r\n");
        Assert.StartsWith("alpha alpha.example.top ", (await raw.ReadResponseAsync()).Body);
        Assert.Equal(404, (await raw.ReadResponseAsync()).Status);
        Assert.True(await raw.ClosedAsync());
        Assert.Equal(1, proxy.Rejections(RejectionReason.UnknownName));
    }

    [Fact]
    public async Task TheAccessLogHasALinePerRequestWithItsHostRouteAndStatus()
    {
        await using ProxyUnderTest logged = StartProxy(new IExposeResource[]
        {
            ProxyUnderTest.Host("alpha", new[] { "alpha.example.top" }, alpha.Port, 1),
            ProxyUnderTest.Host("beta", new[] { "beta.example.top" }, beta.Port, 1),
        }, options => options.AccessLog = true);
        await using (RawConnection raw = await RawConnection.OpenAsync(logged.Port(ListenerKind.Http)))
        {
            await raw.SendAsync("GET /a?x=1 HTTP/1.1\r\nHost: alpha.example.top\r\n\r\nPOST /echo HTTP/1.1\r\nHost: beta.example.top\r\nContent-Length: 3\r\n\r\nabc");
            await raw.ReadResponseAsync();
            await raw.ReadResponseAsync();
            await raw.SendAsync("GET / HTTP/1.1\r\nHost: alpha.example.top\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
            Assert.Equal(400, (await raw.ReadResponseAsync()).Status);
        }

        await WaitUntil(() => logged.Server.Describe().RecentEvents.Count(e => e.Contains("[31 RequestFinished]", StringComparison.Ordinal)) == 3);
        string[] lines = logged.Server.Describe().RecentEvents.Where(e => e.Contains("[31 RequestFinished]", StringComparison.Ordinal)).ToArray();
        Assert.Matches(@"\] 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ alpha\.example\.top ""GET /a\?x=1"" 200 default/alpha-http -> 127\.0\.0\.1:\d+ in=48 out=\d+ [\d.]+ms completed$", lines[0]);
        Assert.Matches(@"\] 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ beta\.example\.top ""POST /echo"" 200 default/beta-http -> 127\.0\.0\.1:\d+ in=69 out=\d+ [\d.]+ms completed$", lines[1]);
        Assert.Matches(@"\] 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ - ""- -"" 400 - in=0 out=\d+ [\d.]+ms rejected:BadRequest$", lines[2]);
    }

    private static SocketsHttpHandler LoopbackHandler(int port) => new()
    {
        ConnectCallback = async (_, token) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, port, token);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    private static HttpClient LoopbackClient(int port) => new(LoopbackHandler(port)) { Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>
    /// A backend written with raw sockets for what a well-behaved server framework will not do: a
    /// response with no length that ends at its close, and a kept connection closed while idle.
    /// It records each connection and each request's path.
    /// </summary>
    private static LoopbackServer OddBackend(ConcurrentQueue<string> seen) => new(async (client, token) =>
    {
        NetworkStream stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.Latin1);
        seen.Enqueue("connected");
        bool dropNext = false;
        while (true)
        {
            string? requestLine = await reader.ReadLineAsync(token);
            if (requestLine is null)
            {
                return;
            }

            while (!string.IsNullOrEmpty(await reader.ReadLineAsync(token)))
            {
            }

            string path = requestLine.Split(' ')[1];
            if (dropNext)
            {
                seen.Enqueue(path + " (dropped)");
                return;
            }

            seen.Enqueue(path);
            switch (path)
            {
                case "/drop-next":
                    dropNext = true;
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain"), token);
                    break;
                case "/until-close":
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nno length, ends at close"), token);
                    return;
                case "/then-close-idle":
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\nkept, closing soon"), token);
                    await Task.Delay(100, token);
                    seen.Enqueue("closed idle");
                    return;
                default:
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain"), token);
                    break;
            }
        }
    });

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition(), "the condition did not hold within 10 s");
    }
}

/// <summary>A real HTTP/1.1 server (Kestrel) on 127.0.0.1 answering with its name, counting the requests it saw.</summary>
internal sealed class KestrelBackend : IAsyncDisposable
{
    private readonly WebApplication app;
    private int requests;
    private int completed;

    private KestrelBackend(WebApplication app, string name)
    {
        this.app = app;
        Name = name;
    }

    public string Name { get; }

    public int Port { get; private set; }

    /// <summary>Requests whose head reached the server.</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>Requests the server answered in full.</summary>
    public int Completed => Volatile.Read(ref completed);

    public static async Task<KestrelBackend> StartAsync(string name)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        var backend = new KestrelBackend(app, name);
        app.UseWebSockets();
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        backend.Port = new Uri(app.Urls.First()).Port;
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref requests);
        HttpResponse response = context.Response;
        switch (context.Request.Path.Value)
        {
            case "/echo":
                using (var body = new MemoryStream())
                {
                    await context.Request.Body.CopyToAsync(body);
                    string text = Encoding.Latin1.GetString(body.ToArray());
                    string trailer = context.Request.SupportsTrailers() && context.Request.CheckTrailersAvailable()
                        ? $" trailer={context.Request.GetTrailer("X-Checksum")}" : string.Empty;
                    await response.WriteAsync($"{Name} echo {body.Length} {text}{(trailer == " trailer=" ? string.Empty : trailer)}");
                }

                break;
            case "/stream":
                for (int i = 0; i < 50; i++)
                {
                    await response.WriteAsync($"part {i}\n");
                    await response.Body.FlushAsync();
                }

                break;
            case "/sized":
                response.ContentLength = 5000;
                if (!HttpMethods.IsHead(context.Request.Method))
                {
                    await response.WriteAsync(new string(Name[0], 5000));
                }

                break;
            case "/ws" when context.WebSockets.IsWebSocketRequest:
                using (WebSocket socket = await context.WebSockets.AcceptWebSocketAsync())
                {
                    var buffer = new byte[256];
                    while (true)
                    {
                        WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                        if (result.MessageType == WebSocketMessageType.Close)
                        {
                            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                            break;
                        }

                        await socket.SendAsync(Encoding.UTF8.GetBytes($"{Name} says " + Encoding.UTF8.GetString(buffer, 0, result.Count)), WebSocketMessageType.Text, true, CancellationToken.None);
                    }
                }

                break;
            default:
                await response.WriteAsync($"{Name} {context.Request.Host} {context.Connection.Id}\n");
                break;
        }

        Interlocked.Increment(ref completed);
    }
}

/// <summary>One response as read by <see cref="RawConnection"/>: a reader of its own, independent of the proxy's parsers.</summary>
internal sealed record RawResponse(int Status, Dictionary<string, string> Headers, string Body, bool Chunked);

/// <summary>A client socket that sends exact bytes and reads responses by their framing.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly Socket socket;
    private readonly List<byte> pending = new();

    private RawConnection(Socket socket) => this.socket = socket;

    public static async Task<RawConnection> OpenAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return new RawConnection(socket);
    }

    public async Task SendAsync(string text) => await socket.SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task<RawResponse> ReadResponseAsync(bool bodyExpected = true)
    {
        string head = await ReadUntilAsync("\r\n\r\n");
        string[] lines = head.Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1]);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            int colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        if (!bodyExpected || status is < 200 or 204 or 304)
        {
            return new RawResponse(status, headers, string.Empty, false);
        }

        if (headers.TryGetValue("transfer-encoding", out string? coding) && coding.Equals("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new StringBuilder();
            while (true)
            {
                string sizeLine = await ReadUntilAsync("\r\n");
                int size = Convert.ToInt32(sizeLine.Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    while ((await ReadUntilAsync("\r\n")).Length > 0)
                    {
                    }

                    return new RawResponse(status, headers, body.ToString(), true);
                }

                body.Append(await ReadExactlyAsync(size));
                await ReadUntilAsync("\r\n");
            }
        }

        int length = headers.TryGetValue("content-length", out string? value) ? int.Parse(value) : 0;
        return new RawResponse(status, headers, await ReadExactlyAsync(length), false);
    }

    /// <summary>Everything until the server closes; after a head when <paramref name="afterHead"/>.</summary>
    public async Task<string> ReadToEndAsync(bool afterHead)
    {
        if (afterHead)
        {
            await ReadUntilAsync("\r\n\r\n");
        }

        while (await FillAsync())
        {
        }

        string all = Encoding.Latin1.GetString(pending.ToArray());
        pending.Clear();
        return all;
    }

    /// <summary>True when the server closes (or resets) the connection with nothing more to read.</summary>
    public async Task<bool> ClosedAsync()
    {
        try
        {
            return !await FillAsync() && pending.Count == 0;
        }
        catch (SocketException)
        {
            return pending.Count == 0;
        }
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<string> ReadUntilAsync(string marker)
    {
        byte[] end = Encoding.ASCII.GetBytes(marker);
        while (true)
        {
            int at = pending.ToArray().AsSpan().IndexOf(end);
            if (at >= 0)
            {
                string text = Encoding.Latin1.GetString(pending.GetRange(0, at).ToArray());
                pending.RemoveRange(0, at + end.Length);
                return text;
            }

            if (!await FillAsync())
            {
                throw new IOException($"closed before '{marker.Replace("\r\n", "CRLF")}'; had: {Encoding.Latin1.GetString(pending.ToArray())}");
            }
        }
    }

    private async Task<string> ReadExactlyAsync(int count)
    {
        while (pending.Count < count)
        {
            if (!await FillAsync())
            {
                throw new IOException($"closed after {pending.Count} of {count} bytes");
            }
        }

        string text = Encoding.Latin1.GetString(pending.GetRange(0, count).ToArray());
        pending.RemoveRange(0, count);
        return text;
    }

    private async Task<bool> FillAsync()
    {
        var buffer = new byte[65536];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        int read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
        pending.AddRange(buffer.AsSpan(0, read).ToArray());
        return read > 0;
    }
}

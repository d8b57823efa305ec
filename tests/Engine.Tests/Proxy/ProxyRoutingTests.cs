using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Probes;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Proxy.Transport;
using ClusterExpose.Engine.Tests.Probes;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>
/// The proxy routing real clients (SslStream, openssl s_client, curl) on 127.0.0.1 to real
/// backends with certificates made here; which backend answered is read from its certificate.
/// </summary>
public class ProxyRoutingTests : IAsyncLifetime
{
    /// <summary>Which engine carries the proxy's connections in these tests; a derived class runs them all again on the other.</summary>
    protected virtual SocketEngineKind Engine => SocketEngineKind.Auto;

    private ProxyUnderTest StartProxy(IReadOnlyList<IExposeResource> resources, Action<SniProxyOptions>? configure = null) =>
        ProxyUnderTest.Start(Engine, resources, configure);

    private readonly X509Certificate2 homeCertificate = TestCertificates.Create("home", "kl.example.top", "*.kl.example.top");
    private readonly X509Certificate2 nasCertificate = TestCertificates.Create("nas", "nas.example.top", "app.kl.example.top");
    private LoopbackServer homeTls = null!;
    private LoopbackServer nasTls = null!;
    private LoopbackServer homeHttp = null!;
    private LoopbackServer nasHttp = null!;
    private ProxyUnderTest proxy = null!;

    public Task InitializeAsync()
    {
        homeTls = LoopbackServer.Tls(homeCertificate, new Dictionary<string, X509Certificate2>());
        nasTls = LoopbackServer.Tls(nasCertificate, new Dictionary<string, X509Certificate2>());
        homeHttp = Backends.Http("home");
        nasHttp = Backends.Http("nas");
        ExposedHost home = ProxyUnderTest.Host("k65", new[] { "kl.example.top", "*.kl.example.top" }, homeHttp.Port, homeTls.Port);
        ExposedHost nas = ProxyUnderTest.Host("nas", new[] { "nas.example.top" }, nasHttp.Port, nasTls.Port);
        // One name under home's wildcard is served elsewhere: the common "one service elsewhere, the rest at home".
        ExposedHost app = ProxyUnderTest.Host("app", new[] { "app.kl.example.top" }, nasHttp.Port, nasTls.Port);
        proxy = StartProxy(new IExposeResource[] { home, nas, app });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        await homeTls.DisposeAsync();
        await nasTls.DisposeAsync();
        await homeHttp.DisposeAsync();
        await nasHttp.DisposeAsync();
        homeCertificate.Dispose();
        nasCertificate.Dispose();
    }

    [Theory]
    [InlineData("kl.example.top", "CN=home")]
    [InlineData("a.kl.example.top", "CN=home")]
    [InlineData("KL.Example.Top", "CN=home")]
    [InlineData("nas.example.top", "CN=nas")]
    public async Task RoutesTlsBySniWithoutTouchingTheBytes(string serverName, string subject)
    {
        Assert.Equal(subject, await ProxyUnderTest.HandshakeAsync(proxy.Port(ListenerKind.Tls), serverName, "h2", "http/1.1"));
    }

    [Theory]
    [InlineData("app.kl.example.top", "CN=nas", "app")]
    [InlineData("b.kl.example.top", "CN=home", "k65")]
    [InlineData("kl.example.top", "CN=home", "k65")]
    public async Task AnExactNameBeatsAWildcardOverItAsTheRenderedRoutesSay(string serverName, string subject, string exposure)
    {
        // What the route table decides over the rendered routes, the proxy does with real connections.
        // (Rendered for local forwarding: a cluster refuses loopback targets as endpoints.)
        var table = new ClusterExpose.Engine.Routing.RouteSource(proxy.Resources).Load(ClusterExpose.Engine.Routing.RouteUse.Serving).Table;
        Assert.Equal(exposure, table.Decide("websecure", ClusterExpose.Engine.Routing.RouteQuery.FromConnection(serverName, true, null, null), tls: true).Winner?.Definition.Service);
        Assert.Equal(exposure, table.Decide("web", ClusterExpose.Engine.Routing.RouteQuery.FromConnection(serverName, false, null, null), tls: false).Winner?.Definition.Service);

        Assert.Equal(subject, await ProxyUnderTest.HandshakeAsync(proxy.Port(ListenerKind.Tls), serverName));
        string backend = subject == "CN=nas" ? "nas" : "home";
        Assert.EndsWith($"{backend} {serverName}\n", await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Http), $"GET / HTTP/1.1\r\nHost: {serverName}\r\n\r\n"));
    }

    [Theory]
    [InlineData(ExposeFlavor.TraefikV3)]
    [InlineData(ExposeFlavor.TraefikV2)]
    [InlineData(ExposeFlavor.GatewayApi)]
    public async Task AnAnyDepthExposureTakesEveryNameUnderItThatNothingNamesMoreSpecifically(ExposeFlavor flavor)
    {
        ExposedHost deep = ExposeFactory.CreateHost("deep", new[] { "kl.example.top" }, false, new[] { "127.0.0.1" }, "default", 80, 443, homeHttp.Port, homeTls.Port, "web", "websecure", ProxyProtocolVersion.None, flavor, includeAllSubdomains: true).Value!;
        ExposedHost app = ExposeFactory.CreateHost("app", new[] { "app.kl.example.top", "*.apps.kl.example.top" }, false, new[] { "127.0.0.1" }, "default", 80, 443, nasHttp.Port, nasTls.Port, "web", "websecure", ProxyProtocolVersion.None, flavor).Value!;
        Assert.Equal(new[] { "kl.example.top", "**.kl.example.top" }, deep.Hostname);
        await using ProxyUnderTest served = StartProxy(new IExposeResource[] { deep, app });
        foreach (var (name, subject) in new[] { ("kl.example.top", "CN=home"), ("a.kl.example.top", "CN=home"), ("a.b.c.kl.example.top", "CN=home"), ("app.kl.example.top", "CN=nas"), ("x.apps.kl.example.top", "CN=nas") })
        {
            Assert.Equal(subject, await ProxyUnderTest.HandshakeAsync(served.Port(ListenerKind.Tls), name));
            Assert.EndsWith($"{(subject == "CN=nas" ? "nas" : "home")} {name}\n", await ProxyUnderTest.ExchangeAsync(served.Port(ListenerKind.Http), $"GET / HTTP/1.1\r\nHost: {name}\r\n\r\n"));
        }
    }

    [Fact]
    public async Task TotalsNeverGoDownWhenAReloadRemovesARouteAndCountOnWhenItComesBack()
    {
        ExposedHost home = ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, homeHttp.Port, homeTls.Port);
        ExposedHost nas = ProxyUnderTest.Host("nas", new[] { "nas.example.top" }, nasHttp.Port, nasTls.Port);
        await using ProxyUnderTest served = StartProxy(new IExposeResource[] { home, nas });
        ProxyRouteSet Routes(params IExposeResource[] set) => ProxyRouteSet.Build(set, served.Server.Options, out _)!;
        Assert.EndsWith("nas nas.example.top\n", await ProxyUnderTest.ExchangeAsync(served.Port(ListenerKind.Http), "GET / HTTP/1.1\r\nHost: nas.example.top\r\n\r\n"));
        await WaitUntil(() => served.Server.Describe().ActiveConnections == 0);
        SniProxyInfo before = served.Server.Describe();
        Assert.Equal(1, before.TotalConnections);
        Assert.True(before.BytesFromClients > 0 && before.BytesToClients > 0);

        served.Server.Reload(Routes(home));
        SniProxyInfo without = served.Server.Describe();
        Assert.DoesNotContain(without.Routes, r => r.Router.StartsWith("default/nas", StringComparison.Ordinal));
        Assert.Equal(before.TotalConnections, without.TotalConnections);
        Assert.Equal(before.BytesFromClients, without.BytesFromClients);
        Assert.Equal(before.BytesToClients, without.BytesToClients);
        Assert.Contains(served.Server.Describe().RecentEvents, e => e.Contains("removed: default/nas-http, default/nas-https", StringComparison.Ordinal));

        served.Server.Reload(Routes(home, nas));
        Assert.Equal(1, served.Server.Describe().Routes.Single(r => r.Router == "default/nas-http").TotalConnections);
    }

    [Fact]
    public async Task MetricsAreServedAsPrometheusTextAndNeverGoDown()
    {
        ExposedHost home = ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, homeHttp.Port, homeTls.Port);
        ExposedHost nas = ProxyUnderTest.Host("nas", new[] { "nas.example.top" }, nasHttp.Port, nasTls.Port);
        await using ProxyUnderTest served = StartProxy(new IExposeResource[] { home, nas }, o => o.MetricsEndpoint = new IPEndPoint(IPAddress.Loopback, 0));
        using var http = new System.Net.Http.HttpClient { BaseAddress = new Uri("http://" + served.Server.Describe().MetricsEndpoint) };
        Assert.Equal("ok\n", await http.GetStringAsync("/healthz"));
        Assert.Equal("ready\n", await http.GetStringAsync("/readyz"));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/nothing")).StatusCode);

        Assert.EndsWith("nas nas.example.top\n", await ProxyUnderTest.ExchangeAsync(served.Port(ListenerKind.Http), "GET / HTTP/1.1\r\nHost: nas.example.top\r\n\r\n"));
        await WaitUntil(() => served.Server.Describe().ActiveConnections == 0);
        IReadOnlyDictionary<string, double> before = Parse(await http.GetStringAsync("/metrics"));
        Assert.Equal(1, before["clusterexpose_proxy_connections_total"]);
        Assert.Equal(1, before["clusterexpose_proxy_route_connections_total{route=\"default/nas-http\"}"]);
        Assert.True(before["clusterexpose_proxy_route_received_bytes_total{route=\"default/nas-http\"}"] > 0);
        Assert.Equal(1, before["clusterexpose_proxy_route_backend_connect_seconds_count{route=\"default/nas-http\"}"]);
        Assert.Equal(1, before["clusterexpose_proxy_route_backend_connect_seconds_bucket{route=\"default/nas-http\",le=\"+Inf\"}"]);
        Assert.Equal(0, before["clusterexpose_proxy_reloads_total{result=\"applied\"}"]);

        // A reload that drops the route: every counter keeps its value.
        served.Server.Reload(ProxyRouteSet.Build(new IExposeResource[] { home }, served.Server.Options, out _)!);
        IReadOnlyDictionary<string, double> after = Parse(await http.GetStringAsync("/metrics"));
        foreach (var (series, value) in before.Where(p => p.Key.Contains("_total", StringComparison.Ordinal)))
        {
            Assert.True(after[series] >= value, $"{series} went from {value} to {after[series]}");
        }

        Assert.Equal(1, after["clusterexpose_proxy_reloads_total{result=\"applied\"}"]);
        Assert.Equal(2, after["clusterexpose_proxy_routes"]);
    }

    /// <summary>Reads Prometheus text (format 0.0.4) strictly: every family declared before its samples, every sample line well formed.</summary>
    private static IReadOnlyDictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        var typed = new HashSet<string>(StringComparer.Ordinal);
        var sample = new System.Text.RegularExpressions.Regex("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*\\})? (\\S+)$");
        Assert.EndsWith("\n", text);
        foreach (string line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                string[] parts = line.Split(' ');
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram" });
                Assert.True(typed.Add(parts[2]), "declared twice: " + parts[2]);
                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }

            var match = sample.Match(line);
            Assert.True(match.Success, "not a sample line: " + line);
            string family = System.Text.RegularExpressions.Regex.Replace(match.Groups[1].Value, "_(bucket|sum|count)$", string.Empty);
            Assert.True(typed.Contains(family) || typed.Contains(match.Groups[1].Value), "no TYPE before " + line);
            samples[line.Substring(0, line.LastIndexOf(' '))] = double.Parse(match.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        return samples;
    }

    [Fact]
    public async Task AWildcardWrittenForTraefikV2IsServedAsTheModelSays()
    {
        const ExposeFlavor flavor = ExposeFlavor.TraefikV2;
        // Written for Traefik v2 the wildcard is a {subdomain:...} template, which a v3 reading would
        // take for a regexp that matches nothing; the proxy serves what the model says.
        ExposedHost home = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, true, new[] { "127.0.0.1" }, "default", 80, 443, homeHttp.Port, homeTls.Port, "web", "websecure", ProxyProtocolVersion.None, flavor).Value!;
        await using ProxyUnderTest served = StartProxy(new IExposeResource[] { home });
        Assert.Equal("CN=home", await ProxyUnderTest.HandshakeAsync(served.Port(ListenerKind.Tls), "a.kl.example.top"));
        Assert.EndsWith("home a.kl.example.top\n", await ProxyUnderTest.ExchangeAsync(served.Port(ListenerKind.Http), "GET / HTTP/1.1\r\nHost: a.kl.example.top\r\n\r\n"));
        var refused = await Assert.ThrowsAsync<ClusterExposeException>(() =>
            EndpointProbe.ProbeTlsAsync("a.b.kl.example.top", "127.0.0.1", served.Port(ListenerKind.Tls), new[] { "h2" }, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(ErrorIds.ProbeTlsAlert, refused.ErrorId);
    }

    [Fact]
    public async Task AQuietTlsRelayHoldsNoBuffer()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tls));
        using var tls = new System.Net.Security.SslStream(client.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("kl.example.top");
        Assert.Equal("CN=home", new X509Certificate2(tls.RemoteCertificate!).Subject);

        // The hello went on to the backend and the handshake is over: once the relay has been quiet
        // for a second, neither the hello's buffer nor a posted read is held, and the connection stays.
        await WaitUntil(() => proxy.Server.Describe().BufferBytes == 0);
        Assert.Equal(1, proxy.Server.Describe().ActiveConnections);
        Assert.Equal(0, proxy.Server.Describe().BusyRelays);

        // It still carries bytes: the backend closes after the first one it reads, and its FIN comes through.
        await tls.WriteAsync(new byte[] { 1 });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await client.GetStream().CopyToAsync(Stream.Null, deadline.Token);
        client.Close();
        await WaitUntil(() => proxy.Server.Describe().ActiveConnections == 0);
        Assert.Equal(0, proxy.Server.Describe().BufferBytes);
    }

    [Theory]
    [InlineData("k.example.top")]
    [InlineData("akl.example.top")]
    [InlineData("a.b.kl.example.top")]
    public async Task AnUnknownNameIsRefusedWithUnrecognizedName(string serverName)
    {
        var failure = await Assert.ThrowsAsync<ClusterExposeException>(() =>
            EndpointProbe.ProbeTlsAsync(serverName, "127.0.0.1", proxy.Port(ListenerKind.Tls), new[] { "h2" }, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(ErrorIds.ProbeTlsAlert, failure.ErrorId);
        Assert.Contains("unrecognized_name", failure.Message);
        Assert.Equal(1, proxy.Rejections(RejectionReason.UnknownName));
    }

    [Fact]
    public async Task OpensslWithoutSniIsRefused()
    {
        (int exit, string output) = await Tools.RunAsync("openssl", $"s_client -connect 127.0.0.1:{proxy.Port(ListenerKind.Tls)} -noservername", string.Empty);
        Assert.NotEqual(0, exit);
        Assert.Contains("unrecognized name", output);
        Assert.Equal(1, proxy.Rejections(RejectionReason.NoServerName));
    }

    [Fact]
    public async Task OpensslWithAHelloSplitOverSmallRecordsIsRouted()
    {
        string alpn = string.Join(",", System.Linq.Enumerable.Range(0, 80).Select(i => $"proto-{i:000}-xxxxxxxxxxxxxxxxxxxx"));
        (int exit, string output) = await Tools.RunAsync("openssl", $"s_client -connect 127.0.0.1:{proxy.Port(ListenerKind.Tls)} -servername a.kl.example.top -alpn {alpn},h2 -max_send_frag 512", string.Empty);
        Assert.True(exit == 0, output);
        Assert.Contains("CN = home", output);
    }

    [Fact]
    public async Task CurlIsRoutedBySni()
    {
        int port = proxy.Port(ListenerKind.Tls);
        (int _, string output) = await Tools.RunAsync("curl", $"-v -k --max-time 10 --resolve nas.example.top:{port}:127.0.0.1 https://nas.example.top:{port}/", string.Empty);
        Assert.Contains("subject: CN=nas", output);
    }

    [Fact]
    public async Task AHelloSentOneByteAtATimeArrivesWholeAndUnchanged()
    {
        byte[] hello = ClientHelloParserTests.Hello("openssl-sni-alpn.bin");
        var captured = new List<byte[]>();
        await using LoopbackServer capture = Backends.Capturing(captured, hello.Length);
        await using ProxyUnderTest capturing = StartProxy(new IExposeResource[] { ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, capture.Port, capture.Port) });

        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, capturing.Port(ListenerKind.Tls));
        foreach (byte b in hello)
        {
            await client.GetStream().WriteAsync(new[] { b });
            await Task.Delay(1);
        }

        client.Client.Shutdown(SocketShutdown.Send);
        await WaitUntil(() => captured.Count == 1);
        Assert.Equal(hello, captured[0]);
    }

    [Fact]
    public async Task RoutesHttpByHostAndForwardsTheRequestUnchanged()
    {
        int port = proxy.Port(ListenerKind.Http);
        Assert.EndsWith("home kl.example.top\n", await ProxyUnderTest.ExchangeAsync(port, "GET / HTTP/1.1\r\nHost: kl.example.top\r\n\r\n"));
        Assert.EndsWith("nas nas.example.top:8080\n", await ProxyUnderTest.ExchangeAsync(port, "GET /x HTTP/1.1\r\nHost: nas.example.top:8080\r\n\r\n"));
        Assert.EndsWith("home a.kl.example.top\n", await ProxyUnderTest.ExchangeAsync(port, "GET /.well-known/acme-challenge/t HTTP/1.1\r\nHost: a.kl.example.top\r\n\r\n"));
    }

    [Fact]
    public async Task CurlIsRoutedByHost()
    {
        int port = proxy.Port(ListenerKind.Http);
        (int exit, string output) = await Tools.RunAsync("curl", $"-s --max-time 10 --resolve kl.example.top:{port}:127.0.0.1 http://kl.example.top:{port}/", string.Empty);
        Assert.Equal(0, exit);
        Assert.Equal($"home kl.example.top:{port}\n", output);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: k.example.top\r\n\r\n", "HTTP/1.1 404 ")]
    [InlineData("GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ")]
    [InlineData("GET / HTTP/1.1\r\nHost: kl.example.top\r\nHost: nas.example.top\r\n\r\n", "HTTP/1.1 400 ")]
    [InlineData("GET / HTTP/1.1\r\nHost : kl.example.top\r\n\r\n", "HTTP/1.1 400 ")]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n", "HTTP/1.1 400 ")]
    public async Task BadOrUnroutableRequestsGetAStatus(string request, string expected)
    {
        Assert.StartsWith(expected, await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Http), request));
    }

    [Fact]
    public async Task OversizedHeadersGet400()
    {
        string request = "GET / HTTP/1.1\r\nHost: kl.example.top\r\nX-Big: " + new string('a', 17_000) + "\r\n\r\n";
        Assert.StartsWith("HTTP/1.1 400 ", await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Http), request));
    }

    [Fact]
    public async Task Http2PriorKnowledgeIsClosed()
    {
        int port = proxy.Port(ListenerKind.Http);
        (int exit, _) = await Tools.RunAsync("curl", $"-s --max-time 10 --http2-prior-knowledge --resolve kl.example.top:{port}:127.0.0.1 http://kl.example.top:{port}/", string.Empty);
        Assert.NotEqual(0, exit);
        Assert.Equal(1, proxy.Rejections(RejectionReason.Http2Preface));
    }

    [Fact]
    public async Task NonTlsBytesOnTheTlsPortAreClosedWithoutAnAnswer()
    {
        Assert.Equal(string.Empty, await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Tls), "GET / HTTP/1.1\r\nHost: kl.example.top\r\n\r\n"));
        Assert.Equal(string.Empty, await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Tls), "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"));
        Assert.Equal(2, proxy.Rejections(RejectionReason.NotTls));
    }

    [Fact]
    public async Task CountersFollowTheTraffic()
    {
        await ProxyUnderTest.HandshakeAsync(proxy.Port(ListenerKind.Tls), "kl.example.top");
        await ProxyUnderTest.ExchangeAsync(proxy.Port(ListenerKind.Http), "GET / HTTP/1.1\r\nHost: nas.example.top\r\n\r\n");
        await WaitUntil(() => proxy.Server.Describe().ActiveConnections == 0);

        SniProxyInfo info = proxy.Server.Describe();
        SniProxyRouteInfo https = System.Linq.Enumerable.Single(info.Routes, r => r.Router == "default/k65-https#1");
        SniProxyRouteInfo http = System.Linq.Enumerable.Single(info.Routes, r => r.Router == "default/nas-http");
        Assert.Equal(1, https.TotalConnections);
        Assert.True(https.BytesFromClients > 200, "the ClientHello at least");
        Assert.True(https.BytesToClients > 200, "the server's flight at least");
        Assert.Equal(1, http.TotalConnections);
        Assert.Equal(0, info.ActiveConnections);
        Assert.Equal(8, info.RouteCount); // k65 writes exact names and wildcards as routes of their own: 4, nas 2, app 2
        Assert.Contains(info.Listeners, l => l.Kind == "Tls" && l.TotalConnections == 1 && l.MeanPeekMs > 0);
        Assert.Contains(info.RecentEvents, e => e.Contains("ListenerStarted", StringComparison.Ordinal));
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException("the condition never held");
            }

            await Task.Delay(10);
        }
    }
}

/// <summary>Runs a real client program (openssl, curl) and gives back its exit code and output.</summary>
internal static class Tools
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, string arguments, string input)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await output + await error);
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Probes;
using ClusterExpose.Engine.Routing;
using Xunit;

namespace ClusterExpose.Engine.Tests.Probes;

/// <summary>
/// Test-Exposure's checks against loopback stand-ins for every hop: a small DNS server (UDP, in this
/// test), TLS servers with a covering certificate, a wrong one and Traefik's self-signed default, HTTP
/// servers answering as a private ingress, as the cloud Traefik with no route and as a redirect, a TCP
/// listener and a closed port.
/// </summary>
public sealed class ExposureCheckerTests : IAsyncLifetime
{
    private const string Public = "127.0.0.1";
    private readonly X509Certificate2 good = TestCertificates.Create("home", "kl.example.top", "*.kl.example.top", "nas.example.top");
    private readonly X509Certificate2 wrong = TestCertificates.Create("elsewhere", "other.example.top");
    private readonly X509Certificate2 traefikDefault = TestCertificates.Create("TRAEFIK DEFAULT CERT", "be1f8a9c.traefik.default");
    private readonly DnsStandIn dns = new();
    private readonly List<string> privateRequests = new();
    private LoopbackServer? goodTls;
    private LoopbackServer? wrongTls;
    private LoopbackServer? defaultTls;
    private LoopbackServer? privateHttp;
    private LoopbackServer? traefikHttp;
    private LoopbackServer? redirectHttp;
    private LoopbackServer? database;

    public Task InitializeAsync()
    {
        goodTls = LoopbackServer.Tls(good, new Dictionary<string, X509Certificate2>());
        wrongTls = LoopbackServer.Tls(wrong, new Dictionary<string, X509Certificate2>());
        defaultTls = LoopbackServer.Tls(traefikDefault, new Dictionary<string, X509Certificate2>());
        privateHttp = LoopbackServer.Replying("HTTP/1.1 404 Not Found\r\nServer: private-ingress\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\nno such token\r\n", privateRequests);
        traefikHttp = LoopbackServer.Replying("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 19\r\n\r\n404 page not found\n");
        redirectHttp = LoopbackServer.Replying("HTTP/1.1 308 Permanent Redirect\r\nLocation: https://kl.example.top/.well-known/acme-challenge/x\r\nContent-Length: 18\r\n\r\nPermanent Redirect");
        database = LoopbackServer.Replying("+OK\r\n");
        foreach (string name in new[] { "kl.example.top", "nas.example.top", "db.example.top" })
        {
            dns.Set(name, IPAddress.Loopback);
        }

        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (LoopbackServer? server in new[] { goodTls, wrongTls, defaultTls, privateHttp, traefikHttp, redirectHttp, database })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }

        dns.Dispose();
        good.Dispose();
        wrong.Dispose();
        traefikDefault.Dispose();
    }

    private static ExposedHost Host(string name, params string[] hostnames) =>
        ExposeFactory.CreateHost(name, hostnames, false, new[] { "10.21.22.65" }).Value!;

    private ExposureCheckOptions Options(LoopbackServer tls, LoopbackServer http, params string[] hostnames) => new()
    {
        PublicAddress = Public,
        HttpsPort = tls.Port,
        HttpPort = http.Port,
        DnsServer = dns.Endpoint,
        Hostnames = hostnames,
        Timeout = TimeSpan.FromSeconds(5),
        TrustedRoots = new X509Certificate2Collection(good),
    };

    private static async Task<IReadOnlyList<ExposureCheck>> Check(IExposeResource[] resources, ExposureCheckOptions options) =>
        await ExposureChecker.CheckAsync(resources, options, null, CancellationToken.None);

    private static ExposureCheck One(IReadOnlyList<ExposureCheck> checks, string name, ExposureProtocol protocol) =>
        Assert.Single(checks, c => c.Name == name && c.Protocol == protocol);

    private static string[] Ids(ExposureCheck check) => check.Findings.Select(f => f.Id).ToArray();

    [Fact]
    public async Task ACorrectSetupIsOkOnEveryHop()
    {
        IReadOnlyList<ExposureCheck> checks = await Check(new IExposeResource[] { Host("k65", "kl.example.top", "nas.example.top") }, Options(goodTls!, privateHttp!));
        Assert.Equal(4, checks.Count);
        Assert.All(checks, c => Assert.Equal(ExposureStatus.Ok, c.Status));
        ExposureCheck https = One(checks, "kl.example.top", ExposureProtocol.Https);
        Assert.Equal(new[] { "DnsOk", "RouteOk", "HttpsOk" }, Ids(https));
        Assert.Equal("DNS ok, route ok, certificate ok", https.Summary);
        Assert.Equal("default/k65-https", https.Route);
        Assert.InRange(https.CertificateDaysLeft!.Value, 1, 100_000);
        Assert.Equal(new[] { "127.0.0.1" }, https.ResolvedAddresses);
        ExposureCheck http = One(checks, "nas.example.top", ExposureProtocol.Http);
        Assert.Equal(new[] { "DnsOk", "RouteOk", "HttpOk" }, Ids(http));
        lock (privateRequests)
        {
            Assert.Contains(privateRequests, r => System.Text.RegularExpressions.Regex.IsMatch(r, "^GET /\\.well-known/acme-challenge/[0-9a-f]{32} HTTP/1\\.1\r\nHost: nas\\.example\\.top\r\n"));
        }

        Assert.Contains("nas.example.top 1", dns.Asked);
        Assert.Contains("nas.example.top 28", dns.Asked);
    }

    [Fact]
    public async Task AWildcardIsCheckedWithARandomLabelAndItsApex()
    {
        ExposedHost wildcard = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, true, new[] { "10.21.22.65" }).Value!;
        dns.SetWildcard("kl.example.top", IPAddress.Loopback);
        IReadOnlyList<ExposureCheck> checks = await Check(new IExposeResource[] { wildcard }, Options(goodTls!, privateHttp!));
        string[] names = checks.Select(c => c.Name).Distinct().ToArray();
        Assert.Equal(2, names.Length);
        Assert.Contains("kl.example.top", names);
        Assert.Matches("^ce-[0-9a-f]{8}\\.kl\\.example\\.top$", names.Single(n => n != "kl.example.top"));
        Assert.All(checks, c => Assert.Equal(ExposureStatus.Ok, c.Status));
    }

    [Fact]
    public async Task DnsThatPointsElsewhereOrNowhereIsNamed()
    {
        dns.Set("kl.example.top", IPAddress.Parse("192.0.2.10"));
        dns.Set("nas.example.top", IPAddress.Loopback, IPAddress.Parse("192.0.2.11"));
        IReadOnlyList<ExposureCheck> checks = await Check(
            new IExposeResource[] { Host("k65", "kl.example.top"), Host("nas", "nas.example.top"), Host("gone", "gone.example.top") }, Options(goodTls!, privateHttp!));
        ExposureCheck elsewhere = One(checks, "kl.example.top", ExposureProtocol.Https);
        Assert.Equal(ExposureStatus.Failed, elsewhere.Status);
        Assert.Contains("DnsElsewhere", Ids(elsewhere));
        Assert.Contains("192.0.2.10", elsewhere.Findings.Single(f => f.Id == "DnsElsewhere").Message);
        Assert.StartsWith("DNS wrong, route ok", elsewhere.Summary);
        ExposureCheck partly = One(checks, "nas.example.top", ExposureProtocol.Http);
        Assert.Equal(ExposureStatus.Warning, partly.Status);
        Assert.Contains("DnsPartlyElsewhere", Ids(partly));
        Assert.Contains("DnsNoRecords", Ids(One(checks, "gone.example.top", ExposureProtocol.Https)));
    }

    [Fact]
    public async Task ADnsServerThatDoesNotAnswerIsAFailedLookup()
    {
        ExposureCheckOptions options = Options(goodTls!, privateHttp!);
        options.DnsServer = new IPEndPoint(IPAddress.Loopback, Backends.ClosedPort());
        options.Timeout = TimeSpan.FromSeconds(1);
        IReadOnlyList<ExposureCheck> checks = await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, options);
        Assert.All(checks, c => Assert.Equal("DnsFailed", c.Findings[0].Id));
    }

    [Fact]
    public async Task TraefiksDefaultCertificateSaysTheCloudClusterAnsweredItself()
    {
        IReadOnlyList<ExposureCheck> checks = await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, Options(defaultTls!, privateHttp!));
        ExposureCheck https = One(checks, "kl.example.top", ExposureProtocol.Https);
        Assert.Equal(ExposureStatus.Failed, https.Status);
        Assert.Equal(new[] { "DnsOk", "RouteOk", "HttpsDefaultCertificate" }, Ids(https));
        Assert.Contains("the cloud cluster answered itself", https.Findings[2].Message);
        Assert.Equal("DNS ok, route ok, certificate wrong (Traefik's default)", https.Summary);
    }

    [Fact]
    public async Task ACertificateForOtherNamesIsNamedAndAnUntrustedOneWarns()
    {
        ExposureCheck wrongName = One(await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, Options(wrongTls!, privateHttp!)), "kl.example.top", ExposureProtocol.Https);
        Assert.Contains("HttpsNameNotCovered", Ids(wrongName));
        Assert.Equal(ExposureStatus.Failed, wrongName.Status);

        ExposureCheckOptions untrusting = Options(goodTls!, privateHttp!);
        untrusting.TrustedRoots = null;
        ExposureCheck untrusted = One(await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, untrusting), "kl.example.top", ExposureProtocol.Https);
        Assert.Equal(new[] { "DnsOk", "RouteOk", "HttpsUntrusted" }, Ids(untrusted));
        Assert.Equal(ExposureStatus.Warning, untrusted.Status);
    }

    [Fact]
    public async Task ACertificateCloseToItsEndWarns()
    {
        ExposureCheckOptions options = Options(goodTls!, privateHttp!);
        options.ExpiryWarningDays = 100_000;
        ExposureCheck https = One(await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, options), "kl.example.top", ExposureProtocol.Https);
        Assert.Equal(new[] { "DnsOk", "RouteOk", "HttpsExpiresSoon" }, Ids(https));
    }

    [Fact]
    public async Task AnExpiredCertificateFails()
    {
        using X509Certificate2 expired = TestCertificates.Create("home", DateTimeOffset.UtcNow.AddDays(-100), DateTimeOffset.UtcNow.AddDays(-10), "kl.example.top");
        await using LoopbackServer expiredTls = LoopbackServer.Tls(expired, new Dictionary<string, X509Certificate2>());
        ExposureCheckOptions options = Options(expiredTls, privateHttp!);
        options.TrustedRoots = new X509Certificate2Collection(expired);
        ExposureCheck https = One(await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, options), "kl.example.top", ExposureProtocol.Https);
        Assert.Contains("HttpsExpired", Ids(https));
        Assert.Equal(ExposureStatus.Failed, https.Status);
        Assert.InRange(https.CertificateDaysLeft!.Value, -11, -10);
        Assert.StartsWith("DNS ok, route ok, certificate expired", https.Summary);
    }

    [Fact]
    public async Task TraefiksOwn404AndARedirectToHttpsAreNamed()
    {
        ExposureCheck noRoute = One(await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, Options(goodTls!, traefikHttp!)), "kl.example.top", ExposureProtocol.Http);
        Assert.Equal(new[] { "DnsOk", "RouteOk", "HttpTraefikNotFound" }, Ids(noRoute));
        ExposureCheck redirected = One(await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, Options(goodTls!, redirectHttp!)), "kl.example.top", ExposureProtocol.Http);
        Assert.Equal(new[] { "DnsOk", "RouteOk", "HttpRedirectedToHttps" }, Ids(redirected));
    }

    [Fact]
    public async Task NothingListeningFailsTheProbeWithTheProbesOwnId()
    {
        ExposureCheckOptions options = Options(goodTls!, privateHttp!);
        options.HttpsPort = Backends.ClosedPort();
        options.HttpPort = options.HttpsPort;
        IReadOnlyList<ExposureCheck> checks = await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, options);
        Assert.StartsWith("ProbeConnectionRefused:", One(checks, "kl.example.top", ExposureProtocol.Https).Findings.Single(f => f.Id == "HttpsFailed").Message);
        Assert.Contains("HttpFailed", Ids(One(checks, "kl.example.top", ExposureProtocol.Http)));
    }

    [Fact]
    public async Task TcpForwardsAreConnectedTo()
    {
        TcpForward open = ExposeFactory.CreateForward("db", database!.Port, new[] { "10.21.22.70" }).Value!;
        TcpForward closed = ExposeFactory.CreateForward("cache", Backends.ClosedPort(), new[] { "10.21.22.71" }).Value!;
        IReadOnlyList<ExposureCheck> checks = await Check(new IExposeResource[] { open, closed }, Options(goodTls!, privateHttp!));
        Assert.Equal(new[] { "TcpOk" }, Ids(One(checks, "db", ExposureProtocol.Tcp)));
        Assert.Equal(new[] { "TcpFailed" }, Ids(One(checks, "cache", ExposureProtocol.Tcp)));
    }

    [Fact]
    public async Task ARouteThatShadowsTheNameIsNamedAsTheCloudSidesRoutesDecide()
    {
        // Hand-written routes as a file holds them: a second route for the same name, with a higher priority, to another Service.
        const string Routes = """
            apiVersion: traefik.io/v1alpha1
            kind: IngressRouteTCP
            metadata: {name: k65, namespace: default}
            spec:
              entryPoints: [websecure]
              routes:
                - match: HostSNI(`kl.example.top`)
                  services: [{name: k65, port: 443}]
              tls: {passthrough: true}
            ---
            apiVersion: traefik.io/v1alpha1
            kind: IngressRouteTCP
            metadata: {name: old, namespace: default}
            spec:
              entryPoints: [websecure]
              routes:
                - match: HostSNI(`kl.example.top`)
                  priority: 100
                  services: [{name: old, port: 443}]
              tls: {passthrough: true}
            """;
        ExposureCheckOptions options = Options(goodTls!, privateHttp!, "kl.example.top");
        options.Routes = RouteSource.FromText(Routes, "routes.yaml");
        ExposureCheck https = One(await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, options), "kl.example.top", ExposureProtocol.Https);
        Assert.Contains("RouteElsewhere", Ids(https));
        Assert.Contains("default/old", https.Findings.Single(f => f.Id == "RouteElsewhere").Message);

        // The HTTP entry point has no route at all in that file.
        ExposureCheck http = One(await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, options), "kl.example.top", ExposureProtocol.Http);
        Assert.Contains("RouteMissing", Ids(http));
    }

    [Fact]
    public async Task APublicAddressThatDoesNotResolveAndANameNoExposureHasAreErrors()
    {
        ExposureCheckOptions options = Options(goodTls!, privateHttp!);
        options.PublicAddress = "nowhere.example.top";
        var unresolved = await Assert.ThrowsAsync<ClusterExposeException>(() => Check(new IExposeResource[] { Host("k65", "kl.example.top") }, options));
        Assert.Equal("PublicAddressUnresolved", unresolved.ErrorId);

        var unknown = await Assert.ThrowsAsync<ClusterExposeException>(() => Check(new IExposeResource[] { Host("k65", "kl.example.top") }, Options(goodTls!, privateHttp!, "other.example.top")));
        Assert.Equal("InvalidHostname", unknown.ErrorId);
    }

    [Fact]
    public async Task APublicAddressGivenByNameIsResolvedAndCompared()
    {
        dns.Set("edge.example.top", IPAddress.Loopback);
        ExposureCheckOptions options = Options(goodTls!, privateHttp!);
        options.PublicAddress = "edge.example.top";
        IReadOnlyList<ExposureCheck> checks = await Check(new IExposeResource[] { Host("k65", "kl.example.top") }, options);
        Assert.All(checks, c => Assert.Equal(ExposureStatus.Ok, c.Status));
        Assert.All(checks, c => Assert.StartsWith("127.0.0.1:", c.Target));
    }
}

/// <summary>
/// A small authoritative DNS server on 127.0.0.1 (UDP) for the tests: A and AAAA answers from a table,
/// NXDOMAIN for names it does not know. Enough of RFC 1035 for a resolver library to talk to.
/// </summary>
internal sealed class DnsStandIn : IDisposable
{
    private readonly UdpClient socket = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly Dictionary<string, IPAddress[]> names = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, IPAddress[]> wildcards = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource stop = new();

    public DnsStandIn() => _ = ServeAsync();

    public IPEndPoint Endpoint => (IPEndPoint)socket.Client.LocalEndPoint!;

    public List<string> Asked { get; } = new();

    public void Set(string name, params IPAddress[] addresses)
    {
        lock (names)
        {
            names[name] = addresses;
        }
    }

    /// <summary>Every name under <paramref name="domain"/> answers with these addresses.</summary>
    public void SetWildcard(string domain, params IPAddress[] addresses)
    {
        lock (names)
        {
            wildcards[domain] = addresses;
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        socket.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await socket.ReceiveAsync(stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            byte[]? answer = Answer(received.Buffer);
            if (answer is not null)
            {
                try
                {
                    await socket.SendAsync(answer, received.RemoteEndPoint, stop.Token);
                }
                catch (Exception)
                {
                    return;
                }
            }
        }
    }

    private byte[]? Answer(byte[] query)
    {
        if (query.Length < 17)
        {
            return null;
        }

        // The question: labels from offset 12, then type and class.
        int at = 12;
        var labels = new List<string>();
        while (at < query.Length && query[at] != 0)
        {
            int length = query[at];
            labels.Add(Encoding.ASCII.GetString(query, at + 1, length));
            at += length + 1;
        }

        int questionEnd = at + 5;
        string name = string.Join('.', labels);
        int type = (query[at + 1] << 8) | query[at + 2];
        lock (Asked)
        {
            Asked.Add($"{name} {type}");
        }

        IPAddress[]? addresses;
        lock (names)
        {
            if (!names.TryGetValue(name, out addresses))
            {
                addresses = wildcards.FirstOrDefault(w => name.EndsWith("." + w.Key, StringComparison.OrdinalIgnoreCase)).Value;
            }
        }

        AddressFamily family = type == 28 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        IPAddress[] matching = (addresses ?? Array.Empty<IPAddress>()).Where(a => a.AddressFamily == family && type is 1 or 28).ToArray();
        var response = new List<byte>();
        response.AddRange(query.AsSpan(0, 2).ToArray());                  // id
        response.Add(0x84);                                                // response, authoritative
        response.Add(addresses is null ? (byte)0x03 : (byte)0x00);        // NXDOMAIN when the name is unknown
        response.AddRange(new byte[] { 0, 1, 0, (byte)matching.Length, 0, 0, 0, 0 });
        response.AddRange(query.AsSpan(12, questionEnd - 12).ToArray());
        foreach (IPAddress address in matching)
        {
            byte[] data = address.GetAddressBytes();
            response.AddRange(new byte[] { 0xC0, 0x0C, 0, (byte)type, 0, 1, 0, 0, 0, 60, 0, (byte)data.Length });
            response.AddRange(data);
        }

        return response.ToArray();
    }
}

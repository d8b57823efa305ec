using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Probes;
using Xunit;

namespace ClusterExpose.Engine.Tests.Probes;

/// <summary>Live probes against real servers on 127.0.0.1: real TLS handshakes, real sockets, certificates made here.</summary>
public sealed class EndpointProbeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly string[] Alpn = { "h2", "http/1.1" };

    [Fact]
    public async Task ATlsProbeSendsTheNameAsSniAndReportsTheCertificateChosenForIt()
    {
        using X509Certificate2 home = TestCertificates.Create("kl.example.top", "kl.example.top", "*.kl.example.top");
        using X509Certificate2 other = TestCertificates.Create("default", "default.invalid");
        var seen = new List<string?>();
        await using LoopbackServer server = LoopbackServer.Tls(other, new Dictionary<string, X509Certificate2> { ["a.kl.example.top"] = home }, seen);

        SniProbeResult result = await EndpointProbe.ProbeTlsAsync("a.kl.example.top", "127.0.0.1", server.Port, Alpn, Timeout, CancellationToken.None);

        Assert.Contains("a.kl.example.top", seen);
        Assert.Equal(ProbeMode.Tls, result.Mode);
        Assert.Equal("CN=kl.example.top", result.CertificateSubject);
        Assert.Equal(new[] { "kl.example.top", "*.kl.example.top" }, result.CertificateSans);
        Assert.True(result.CertificateCoversName);
        Assert.False(result.CertificateTrusted);
        Assert.Equal(new DateTime(2031, 1, 2, 3, 4, 5, DateTimeKind.Utc), result.CertificateNotAfter);
        Assert.Equal("h2", result.Alpn);
        Assert.StartsWith("TLS 1.", result.TlsVersion);
        Assert.True(result.HandshakeMs > 0);
        Assert.Equal($"127.0.0.1:{server.Port}", result.RemoteAddress);
    }

    [Fact]
    public async Task ACertificateThatDoesNotCoverTheNameIsReported()
    {
        using X509Certificate2 other = TestCertificates.Create("default", "default.invalid");
        await using LoopbackServer server = LoopbackServer.Tls(other, new Dictionary<string, X509Certificate2>());

        SniProbeResult result = await EndpointProbe.ProbeTlsAsync("kl.example.top", "127.0.0.1", server.Port, new[] { "http/1.1" }, Timeout, CancellationToken.None);

        Assert.False(result.CertificateCoversName);
        Assert.Equal("http/1.1", result.Alpn);
    }

    [Theory]
    [InlineData(new[] { "kl.example.top" }, "kl.example.top", true)]
    [InlineData(new[] { "KL.example.top" }, "kl.example.top.", true)]
    [InlineData(new[] { "*.kl.example.top" }, "a.kl.example.top", true)]
    [InlineData(new[] { "*.kl.example.top" }, "kl.example.top", false)]
    [InlineData(new[] { "*.kl.example.top" }, "a.b.kl.example.top", false)]
    [InlineData(new[] { "k.example.top", "*.example.top" }, "kl.example.top", true)]
    [InlineData(new string[0], "kl.example.top", false)]
    public void CoverageFollowsTheOneLabelWildcardRule(string[] sans, string name, bool covered)
    {
        Assert.Equal(covered, EndpointProbe.Covers(sans, name));
    }

    [Fact]
    public async Task ATlsAlertIsReportedByName()
    {
        // A fatal alert 112 (unrecognized_name), as an SNI router with no route for the name sends it.
        await using LoopbackServer server = LoopbackServer.Replying(new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70 });

        var failure = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTlsAsync("nobody.example.top", "127.0.0.1", server.Port, Alpn, Timeout, CancellationToken.None));

        Assert.Equal(ErrorIds.ProbeTlsAlert, failure.ErrorId);
        Assert.Equal(ExposeErrorKind.ProtocolError, failure.Kind);
        Assert.Contains("unrecognized_name", failure.Message);
        Assert.NotNull(failure.RecommendedAction);
    }

    [Theory]
    [InlineData("tlsv1 unrecognized name", "unrecognized_name")]
    [InlineData("error:0A000410:SSL routines::sslv3 alert handshake failure", "handshake_failure")]
    [InlineData("error:0A00042E:SSL routines::tlsv1 alert protocol version", "protocol_version")]
    [InlineData("SSL routines::tlsv13 alert certificate required", "certificate_required")]
    [InlineData("error:0A000102:SSL routines::unsupported protocol", null)]
    public void AlertNamesAreReadFromTheTlsLibrarysText(string message, string? alert)
    {
        Assert.Equal(alert, EndpointProbe.AlertName(message));
    }

    [Fact]
    public async Task ANonTlsAnswerToAHelloIsReportedAsNotTls()
    {
        await using LoopbackServer server = LoopbackServer.Replying("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");

        var failure = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTlsAsync("kl.example.top", "127.0.0.1", server.Port, Alpn, Timeout, CancellationToken.None));

        Assert.Equal(ErrorIds.ProbeNotTls, failure.ErrorId);
        Assert.Equal(ExposeErrorKind.ProtocolError, failure.Kind);
        Assert.Contains("an HTTP server answered ('HTTP/1.1 400 Bad Request')", failure.Message);
    }

    [Fact]
    public async Task AHelloSentToAPlainHttpPortIsNotTls()
    {
        // A real HTTP server (the proxy tests' backend) reads the hello as a request and answers 400 or closes.
        await using LoopbackServer server = LoopbackServer.Replying("HTTP/1.0 400 Bad Request\r\nServer: nginx\r\n\r\n");
        await using LoopbackServer garbage = LoopbackServer.Replying(new byte[] { 0x00, 0x01, 0x02, 0x03 });

        var http = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTlsAsync("kl.example.top", "127.0.0.1", server.Port, Alpn, Timeout, CancellationToken.None));
        var binary = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTlsAsync("kl.example.top", "127.0.0.1", garbage.Port, Alpn, Timeout, CancellationToken.None));

        Assert.Equal(ErrorIds.ProbeNotTls, http.ErrorId);
        Assert.Contains("-Http", http.RecommendedAction);
        Assert.Equal(ErrorIds.ProbeNotTls, binary.ErrorId);
        Assert.Contains("bytes 00010203", binary.Message);
    }

    [Fact]
    public async Task AServerThatHangsUpDuringTheHandshakeIsReportedAsClosed()
    {
        await using LoopbackServer server = LoopbackServer.Replying(Array.Empty<byte>());

        var failure = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTlsAsync("kl.example.top", "127.0.0.1", server.Port, Alpn, Timeout, CancellationToken.None));

        Assert.Equal(ErrorIds.ProbeConnectionClosed, failure.ErrorId);
        Assert.Equal(ExposeErrorKind.ConnectionError, failure.Kind);
    }

    [Fact]
    public async Task AResetIsReportedAsReset()
    {
        await using var server = new LoopbackServer(async (client, token) =>
        {
            _ = await client.GetStream().ReadAsync(new byte[4096], token);
            client.Client.LingerState = new LingerOption(true, 0);
            client.Client.Close();
        });

        var failure = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTlsAsync("kl.example.top", "127.0.0.1", server.Port, Alpn, Timeout, CancellationToken.None));

        Assert.Equal(ErrorIds.ProbeConnectionReset, failure.ErrorId);
    }

    [Fact]
    public async Task ASilentServerTimesOut()
    {
        await using var server = new LoopbackServer((client, token) => Task.Delay(System.Threading.Timeout.Infinite, token));

        // Long enough that connecting on loopback finishes inside it even on a loaded machine, so the
        // deadline falls in the handshake the server never answers.
        var failure = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTlsAsync("kl.example.top", "127.0.0.1", server.Port, Alpn, TimeSpan.FromSeconds(2), CancellationToken.None));

        Assert.Equal(ErrorIds.ProbeTimedOut, failure.ErrorId);
        Assert.Equal(ExposeErrorKind.OperationTimeout, failure.Kind);
        Assert.Contains("TLS handshake", failure.Message);
    }

    [Fact]
    public async Task AClosedPortIsReportedAsRefused()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var tls = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTlsAsync("kl.example.top", "127.0.0.1", port, Alpn, Timeout, CancellationToken.None));
        var tcp = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTcpAsync("db", "127.0.0.1", port, Timeout, CancellationToken.None));

        Assert.Equal(ErrorIds.ProbeConnectionRefused, tls.ErrorId);
        Assert.Equal(ErrorIds.ProbeConnectionRefused, tcp.ErrorId);
        Assert.Equal(ExposeErrorKind.ConnectionError, tcp.Kind);
    }

    [Fact]
    public async Task AnUnresolvableServerNameIsReported()
    {
        // A label longer than 63 octets cannot be put in a DNS query, so the resolver refuses it on
        // this machine without asking a name server: the answer does not depend on the network.
        string unresolvable = new string('a', 70) + ".invalid";
        var failure = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeTcpAsync("db", unresolvable, 5432, Timeout, CancellationToken.None));
        Assert.Equal(ErrorIds.ProbeNameResolutionFailed, failure.ErrorId);
    }

    [Fact]
    public async Task AnHttpProbeSendsTheHostHeaderAndReadsTheRedirect()
    {
        var received = new List<string>();
        await using LoopbackServer server = LoopbackServer.Replying("HTTP/1.1 308 Permanent Redirect\r\nLocation: https://kl.example.top/\r\nContent-Length: 0\r\n\r\n", received);

        SniProbeResult result = await EndpointProbe.ProbeHttpAsync("kl.example.top", "127.0.0.1", server.Port, Timeout, CancellationToken.None);

        Assert.Equal(308, result.StatusCode);
        Assert.Equal("https://kl.example.top/", result.RedirectLocation);
        Assert.Contains("\r\nHost: kl.example.top\r\n", Assert.Single(received));
        Assert.StartsWith("GET / HTTP/1.1\r\n", received[0]);
    }

    [Fact]
    public async Task AnAnswerThatIsNotHttpIsReported()
    {
        await using LoopbackServer server = LoopbackServer.Replying("SSH-2.0-OpenSSH_9.6\r\n");

        var failure = await Assert.ThrowsAsync<ClusterExposeException>(() => EndpointProbe.ProbeHttpAsync("kl.example.top", "127.0.0.1", server.Port, Timeout, CancellationToken.None));

        Assert.Equal(ErrorIds.ProbeNotHttp, failure.ErrorId);
        Assert.Contains("SSH-2.0", failure.Message);
    }

    [Fact]
    public async Task ATcpProbeOnlyConnects()
    {
        await using LoopbackServer server = LoopbackServer.Replying(Array.Empty<byte>());

        SniProbeResult result = await EndpointProbe.ProbeTcpAsync("db.example.top", "127.0.0.1", server.Port, Timeout, CancellationToken.None);

        Assert.Equal(ProbeMode.Tcp, result.Mode);
        Assert.Null(result.TlsVersion);
        Assert.True(result.ConnectMs >= 0);
    }
}

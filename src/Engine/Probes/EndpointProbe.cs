using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace ClusterExpose.Engine.Probes;

/// <summary>
/// Live checks of an endpoint: a real TLS handshake with a chosen SNI (certificate details, ALPN,
/// timing), an HTTP/1.1 request with a chosen Host header, or a bare TCP connect. Every step runs
/// under one deadline; every failure becomes a <see cref="ClusterExposeException"/> with a stable id.
/// </summary>
public static class EndpointProbe
{
    /// <summary>The most of an HTTP response head read before giving up on it.</summary>
    public const int MaxResponseHeadBytes = 16 * 1024;

    private static readonly Regex AlertPattern = new("(?:tlsv1|tlsv13|sslv3)(?: alert)? ([a-z ]+?)(?:\\s*$|[:)\\]]|\\s*\\(|, )", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Multiline);

    public static Task<SniProbeResult> ProbeTlsAsync(string hostname, string server, int port, IReadOnlyList<string> alpn, TimeSpan timeout, CancellationToken cancellation) =>
        ProbeTlsAsync(hostname, server, port, alpn, null, timeout, cancellation);

    /// <param name="extraRoots">Root certificates trusted besides the system's (a home lab's own CA); null trusts only the system's.</param>
    public static async Task<SniProbeResult> ProbeTlsAsync(string hostname, string server, int port, IReadOnlyList<string> alpn, X509Certificate2Collection? extraRoots, TimeSpan timeout, CancellationToken cancellation)
    {
        using var deadline = Deadline(timeout, cancellation);
        var (client, remote, connectMs) = await ConnectAsync(server, port, timeout, deadline.Token).ConfigureAwait(false);
        using (client)
        {
            bool trusted = false;
            var received = new FirstBytesStream(client.GetStream());
            using var stream = new SslStream(received, leaveInnerStreamOpen: false, (_, certificate, chain, errors) =>
            {
                // Trusted means the chain: whether the name is covered is reported on its own.
                trusted = (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None
                    || (extraRoots is { Count: > 0 } && certificate is not null && ChainsTo(certificate, chain, extraRoots));
                return true;
            });
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = hostname,
                ApplicationProtocols = alpn.Select(p => new SslApplicationProtocol(p)).ToList(),
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };
            var watch = Stopwatch.StartNew();
            try
            {
                await stream.AuthenticateAsClientAsync(options, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not ClusterExposeException)
            {
                // What the server sent says it better than the TLS library's message: a first byte that
                // is no TLS record type (20-24) is a server speaking something else, HTTP most often.
                if (received.First.Length > 0 && received.First[0] is < 20 or > 24 && exception is not OperationCanceledException)
                {
                    throw NotTls(server, port, hostname, received.First, exception);
                }

                throw Classify(exception, server, port, hostname, timeout, cancellation, tls: true);
            }

            double handshakeMs = watch.Elapsed.TotalMilliseconds;
            using var certificate = stream.RemoteCertificate is null ? null : new X509Certificate2(stream.RemoteCertificate);
            IReadOnlyList<string> sans = certificate is null ? Array.Empty<string>() : SubjectAlternativeNames(certificate);
            string negotiated = stream.NegotiatedApplicationProtocol.ToString();
            return new SniProbeResult
            {
                Hostname = hostname,
                Server = server,
                Port = port,
                Mode = ProbeMode.Tls,
                RemoteAddress = remote,
                ConnectMs = connectMs,
                TlsVersion = DescribeProtocol(stream.SslProtocol),
                Alpn = negotiated.Length == 0 ? null : negotiated,
                CertificateSubject = certificate?.Subject,
                CertificateSans = sans,
                CertificateIssuer = certificate?.Issuer,
                CertificateNotAfter = certificate?.NotAfter.ToUniversalTime(),
                CertificateCoversName = certificate is null ? null : Covers(sans, hostname),
                CertificateTrusted = trusted,
                HandshakeMs = handshakeMs,
            };
        }
    }

    public static Task<SniProbeResult> ProbeHttpAsync(string hostname, string server, int port, TimeSpan timeout, CancellationToken cancellation) =>
        ProbeHttpAsync(hostname, server, port, "/", timeout, cancellation);

    /// <summary>An HTTP/1.1 GET of <paramref name="path"/> with the name as Host: the status, the headers that tell servers apart, and the body's first bytes.</summary>
    public static async Task<SniProbeResult> ProbeHttpAsync(string hostname, string server, int port, string path, TimeSpan timeout, CancellationToken cancellation)
    {
        using var deadline = Deadline(timeout, cancellation);
        var (client, remote, connectMs) = await ConnectAsync(server, port, timeout, deadline.Token).ConfigureAwait(false);
        using (client)
        {
            NetworkStream stream = client.GetStream();
            string head;
            string body = string.Empty;
            var watch = Stopwatch.StartNew();
            try
            {
                byte[] request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {hostname}\r\nUser-Agent: ClusterExpose-Probe\r\nAccept: */*\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(request, deadline.Token).ConfigureAwait(false);
                head = await ReadHeadAsync(stream, deadline.Token).ConfigureAwait(false);
                int end = head.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    body = head.Substring(end + 4);
                    head = head.Substring(0, end + 4);
                    Match length = Regex.Match(head, "^Content-Length:[ \\t]*(\\d{1,9})\\r?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Multiline);
                    int wanted = length.Success ? Math.Min(256, int.Parse(length.Groups[1].Value, CultureInfo.InvariantCulture)) : 256;
                    body = await ReadBodyStartAsync(stream, body, wanted, deadline.Token).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is not ClusterExposeException)
            {
                throw Classify(exception, server, port, hostname, timeout, cancellation, tls: false);
            }

            Match status = Regex.Match(head, "^HTTP/\\d(?:\\.\\d)? (\\d{3})", RegexOptions.CultureInvariant);
            if (!status.Success)
            {
                throw new ClusterExposeException(ErrorIds.ProbeNotHttp, ExposeErrorKind.ProtocolError,
                    $"{server}:{port} did not answer with HTTP for Host '{hostname}' (first bytes: '{Printable(head)}').", hostname);
            }

            string? Header(string name)
            {
                Match found = Regex.Match(head, "^" + name + ":[ \\t]*(.*?)\\r?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.Multiline);
                return found.Success ? found.Groups[1].Value : null;
            }

            return new SniProbeResult
            {
                Hostname = hostname,
                Server = server,
                Port = port,
                Mode = ProbeMode.Http,
                RemoteAddress = remote,
                ConnectMs = connectMs,
                HandshakeMs = watch.Elapsed.TotalMilliseconds,
                StatusCode = int.Parse(status.Groups[1].Value, CultureInfo.InvariantCulture),
                RedirectLocation = Header("Location"),
                ServerHeader = Header("Server"),
                ContentType = Header("Content-Type"),
                BodyStart = body,
            };
        }
    }

    public static async Task<SniProbeResult> ProbeTcpAsync(string hostname, string server, int port, TimeSpan timeout, CancellationToken cancellation)
    {
        using var deadline = Deadline(timeout, cancellation);
        var (client, remote, connectMs) = await ConnectAsync(server, port, timeout, deadline.Token).ConfigureAwait(false);
        client.Dispose();
        return new SniProbeResult { Hostname = hostname, Server = server, Port = port, Mode = ProbeMode.Tcp, RemoteAddress = remote, ConnectMs = connectMs };
    }

    /// <summary>Whether a certificate's DNS names cover a name: exact, or a wildcard standing for exactly the first label.</summary>
    public static bool Covers(IEnumerable<string> dnsNames, string hostname)
    {
        string name = hostname.TrimEnd('.');
        foreach (string san in dnsNames)
        {
            if (string.Equals(san, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (san.StartsWith("*.", StringComparison.Ordinal))
            {
                int firstDot = name.IndexOf('.');
                if (firstDot > 0 && string.Equals(name.Substring(firstDot + 1), san.Substring(2), StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether the certificate chains to one of <paramref name="roots"/> (with the intermediates the server sent).</summary>
    private static bool ChainsTo(X509Certificate certificate, X509Chain? sent, X509Certificate2Collection roots)
    {
        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (X509ChainElement element in (IEnumerable<X509ChainElement>?)sent?.ChainElements ?? Array.Empty<X509ChainElement>())
        {
            chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        return chain.Build(leaf);
    }

    private static CancellationTokenSource Deadline(TimeSpan timeout, CancellationToken cancellation)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        source.CancelAfter(timeout);
        return source;
    }

    private static async Task<(TcpClient Client, string Remote, double ConnectMs)> ConnectAsync(string server, int port, TimeSpan timeout, CancellationToken token)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(server.Trim('[', ']'), out IPAddress? literal))
        {
            addresses = new[] { literal };
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(server, token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is SocketException or ArgumentException)
            {
                throw new ClusterExposeException(ErrorIds.ProbeNameResolutionFailed, ExposeErrorKind.ConnectionError,
                    $"The server name '{server}' does not resolve: {exception.Message}", server, "Check the name, or give the server's IP address.", exception);
            }
            catch (OperationCanceledException exception)
            {
                throw TimedOut(server, port, "resolving the name", timeout, exception);
            }
        }

        Exception? last = null;
        var watch = Stopwatch.StartNew();
        foreach (IPAddress address in addresses)
        {
            var client = new TcpClient(address.AddressFamily) { NoDelay = true };
            try
            {
                await client.ConnectAsync(address, port, token).ConfigureAwait(false);
                return (client, new IPEndPoint(address, port).ToString(), watch.Elapsed.TotalMilliseconds);
            }
            catch (OperationCanceledException exception)
            {
                client.Dispose();
                throw TimedOut(server, port, "connecting", timeout, exception);
            }
            catch (SocketException exception)
            {
                client.Dispose();
                last = exception;
            }
        }

        if (last is SocketException { SocketErrorCode: SocketError.ConnectionRefused } refused)
        {
            throw new ClusterExposeException(ErrorIds.ProbeConnectionRefused, ExposeErrorKind.ConnectionError,
                $"{server}:{port} refused the connection: nothing listens there.", server, "Check the port and that the proxy or ingress is running.", refused);
        }

        throw new ClusterExposeException(ErrorIds.ProbeNetworkError, ExposeErrorKind.ConnectionError,
            $"{server}:{port} could not be reached: {last?.Message ?? "no address"}", server, innerException: last);
    }

    private static ClusterExposeException NotTls(string server, int port, string hostname, byte[] first, Exception inner)
    {
        string text = Encoding.ASCII.GetString(first);
        int end = text.IndexOfAny(new[] { '\r', '\n' });
        string answer = text.StartsWith("HTTP/", StringComparison.Ordinal)
            ? $"an HTTP server answered ('{(end > 0 ? text[..end] : text)}')"
            : $"the answer began with bytes {Convert.ToHexString(first.AsSpan(0, Math.Min(first.Length, 8)))}, not a TLS record";
        return new ClusterExposeException(ErrorIds.ProbeNotTls, ExposeErrorKind.ProtocolError,
            $"{server}:{port} did not answer the TLS handshake for '{hostname}' with TLS: {answer}.", hostname,
            "Check the port: the HTTPS entry point listens elsewhere (443 by default), or probe this one with -Http.", inner);
    }

    private static ClusterExposeException Classify(Exception exception, string server, int port, string hostname, TimeSpan timeout, CancellationToken cancellation, bool tls)
    {
        if (exception is OperationCanceledException)
        {
            return TimedOut(server, port, tls ? "the TLS handshake" : "the HTTP response", timeout, exception);
        }

        string messages = string.Join("\n", Chain(exception).Select(e => e.Message));
        if (Chain(exception).OfType<SocketException>().Any(s => s.SocketErrorCode == SocketError.ConnectionReset))
        {
            return new ClusterExposeException(ErrorIds.ProbeConnectionReset, ExposeErrorKind.ConnectionError,
                $"{server}:{port} reset the connection for '{hostname}'" + (tls ? " during the TLS handshake." : "."), hostname, innerException: exception);
        }

        if (tls && AlertName(messages) is string alert)
        {
            return new ClusterExposeException(ErrorIds.ProbeTlsAlert, ExposeErrorKind.ProtocolError,
                $"{server}:{port} refused the TLS handshake for '{hostname}' with alert {alert}.", hostname,
                alert == "unrecognized_name" ? "No route or certificate serves this name there: check it with Test-SniRoute against the routes." : null, exception);
        }

        if (tls && messages.Contains("wrong version number", StringComparison.OrdinalIgnoreCase))
        {
            return new ClusterExposeException(ErrorIds.ProbeNotTls, ExposeErrorKind.ProtocolError,
                $"{server}:{port} did not answer with TLS (is it the HTTP port?).", hostname, innerException: exception);
        }

        if (exception is IOException && (messages.Contains("EOF", StringComparison.Ordinal) || messages.Contains("0 bytes", StringComparison.Ordinal)))
        {
            return new ClusterExposeException(ErrorIds.ProbeConnectionClosed, ExposeErrorKind.ConnectionError,
                $"{server}:{port} closed the connection for '{hostname}'" + (tls ? " during the TLS handshake (an SNI router with no route for the name does this)." : " without an answer."), hostname, innerException: exception);
        }

        return new ClusterExposeException(tls ? ErrorIds.ProbeTlsFailed : ErrorIds.ProbeNetworkError, tls ? ExposeErrorKind.ProtocolError : ExposeErrorKind.ConnectionError,
            $"Probing '{hostname}' at {server}:{port} failed: {messages.Replace('\n', ' ')}", hostname, innerException: exception);
    }

    /// <summary>The TLS alert named in OpenSSL's or SChannel's error text, written as in RFC 8446 (unrecognized_name).</summary>
    internal static string? AlertName(string messages)
    {
        Match match = AlertPattern.Match(messages);
        return match.Success ? match.Groups[1].Value.Trim().ToLowerInvariant().Replace(' ', '_') : null;
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }

    private static ClusterExposeException TimedOut(string server, int port, string step, TimeSpan timeout, Exception inner) =>
        new(ErrorIds.ProbeTimedOut, ExposeErrorKind.OperationTimeout,
            $"{server}:{port} did not finish {step} within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.", server,
            "Check that the address is reachable from here (firewall, private network), or raise -TimeoutSec.", inner);

    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken token)
    {
        var buffer = new byte[MaxResponseHeadBytes];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(filled), token).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
            if (buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        if (filled == 0)
        {
            throw new IOException("The server closed the connection: EOF before any response byte.");
        }

        return Encoding.Latin1.GetString(buffer, 0, filled);
    }

    /// <summary>Reads on until <paramref name="wanted"/> bytes of the body are in, the server closes, or the deadline; whatever came is kept.</summary>
    private static async Task<string> ReadBodyStartAsync(Stream stream, string already, int wanted, CancellationToken token)
    {
        var text = new StringBuilder(already);
        var buffer = new byte[Math.Max(wanted, 1)];
        try
        {
            while (text.Length < wanted)
            {
                int read = await stream.ReadAsync(buffer.AsMemory(0, wanted - text.Length), token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                text.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            // The head is what the probe is about; a body cut short is still its start.
        }

        return text.Length > wanted ? text.ToString(0, wanted) : text.ToString();
    }

    private static IReadOnlyList<string> SubjectAlternativeNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }

        return names;
    }

    private static string DescribeProtocol(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLS 1.3",
        SslProtocols.Tls12 => "TLS 1.2",
#pragma warning disable SYSLIB0039 // Reported, not offered: old servers still answer with these.
        SslProtocols.Tls11 => "TLS 1.1",
        SslProtocols.Tls => "TLS 1.0",
#pragma warning restore SYSLIB0039
        _ => protocol.ToString(),
    };

    private static string Printable(string text)
    {
        string first = text.Length > 40 ? text.Substring(0, 40) : text;
        return new string(first.Select(c => c >= ' ' && c < 0x7F ? c : '.').ToArray());
    }
}

/// <summary>
/// Passes a connection through unchanged and keeps the first bytes the server sent, so a failed
/// handshake can say what answered instead of repeating the TLS library's message.
/// </summary>
internal sealed class FirstBytesStream : Stream
{
    private const int Kept = 64;
    private readonly Stream inner;
    private byte[] first = Array.Empty<byte>();

    public FirstBytesStream(Stream inner) => this.inner = inner;

    /// <summary>Up to the first 64 bytes read from the server.</summary>
    public byte[] First => first;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => Keep(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Keep(buffer.Span[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Keep(ReadOnlySpan<byte> read)
    {
        if (first.Length < Kept && read.Length > 0)
        {
            byte[] more = new byte[Math.Min(Kept, first.Length + read.Length)];
            first.CopyTo(more, 0);
            read[..(more.Length - first.Length)].CopyTo(more.AsSpan(first.Length));
            first = more;
        }

        return read.Length;
    }
}

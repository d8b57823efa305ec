using System;
using System.Collections.Generic;

namespace ClusterExpose;

/// <summary>What a live endpoint answered for one name: the output of <c>Test-SniRoute -Server</c>.</summary>
public sealed class SniProbeResult
{
    public string Hostname { get; init; } = string.Empty;

    public string Server { get; init; } = string.Empty;

    public int Port { get; init; }

    public ProbeMode Mode { get; init; }

    /// <summary>The address actually connected to.</summary>
    public string? RemoteAddress { get; init; }

    public double ConnectMs { get; init; }

    public string? TlsVersion { get; init; }

    /// <summary>The application protocol the server chose, or null when it chose none.</summary>
    public string? Alpn { get; init; }

    public string? CertificateSubject { get; init; }

    public IReadOnlyList<string> CertificateSans { get; init; } = Array.Empty<string>();

    public string? CertificateIssuer { get; init; }

    public DateTime? CertificateNotAfter { get; init; }

    /// <summary>Whether the certificate's DNS names cover the probed name (one-label wildcards included).</summary>
    public bool? CertificateCoversName { get; init; }

    /// <summary>Whether the certificate chain validated against this machine's trust store.</summary>
    public bool? CertificateTrusted { get; init; }

    public double? HandshakeMs { get; init; }

    public int? StatusCode { get; init; }

    /// <summary>The Location header of a redirect.</summary>
    public string? RedirectLocation { get; init; }

    /// <summary>The Server header of an HTTP answer, when it has one.</summary>
    public string? ServerHeader { get; init; }

    /// <summary>The Content-Type header of an HTTP answer, when it has one.</summary>
    public string? ContentType { get; init; }

    /// <summary>The first bytes (at most 256) of an HTTP answer's body, as Latin-1 text.</summary>
    public string? BodyStart { get; init; }

    public override string ToString() => $"{Hostname} @ {Server}:{Port} ({Mode})";
}

using System;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose;

/// <summary>How a checked hop (or a whole check) came out.</summary>
public enum ExposureStatus
{
    Ok,
    Warning,
    Failed,
}

/// <summary>What Test-Exposure probed for one name.</summary>
public enum ExposureProtocol
{
    /// <summary>A TLS handshake with the name as SNI, at the public HTTPS port.</summary>
    Https,

    /// <summary>An ACME HTTP-01 style request with the name as Host, at the public HTTP port.</summary>
    Http,

    /// <summary>A TCP connect to a forward's public port.</summary>
    Tcp,
}

/// <summary>
/// The stable ids of Test-Exposure's findings: scripts filter on them, so an id never changes meaning.
/// Each hop has its own, so a result says which hop is broken.
/// </summary>
public static class ExposureFindingIds
{
    public const string DnsOk = "DnsOk";
    public const string DnsNoRecords = "DnsNoRecords";
    public const string DnsElsewhere = "DnsElsewhere";
    public const string DnsPartlyElsewhere = "DnsPartlyElsewhere";
    public const string DnsFailed = "DnsFailed";

    public const string RouteOk = "RouteOk";
    public const string RouteMissing = "RouteMissing";
    public const string RouteElsewhere = "RouteElsewhere";

    public const string HttpsOk = "HttpsOk";
    public const string HttpsFailed = "HttpsFailed";
    public const string HttpsDefaultCertificate = "HttpsDefaultCertificate";
    public const string HttpsNameNotCovered = "HttpsNameNotCovered";
    public const string HttpsUntrusted = "HttpsUntrusted";
    public const string HttpsExpired = "HttpsExpired";
    public const string HttpsExpiresSoon = "HttpsExpiresSoon";

    public const string HttpOk = "HttpOk";
    public const string HttpFailed = "HttpFailed";
    public const string HttpRedirectedToHttps = "HttpRedirectedToHttps";
    public const string HttpTraefikNotFound = "HttpTraefikNotFound";

    public const string TcpOk = "TcpOk";
    public const string TcpFailed = "TcpFailed";
}

/// <summary>One thing Test-Exposure found about one hop: an id from <see cref="ExposureFindingIds"/>, how bad, and what it means.</summary>
public sealed record ExposureFinding(string Id, ExposureStatus Severity, string Message)
{
    public override string ToString() => $"{Id}: {Message}";
}

/// <summary>The result of checking one name (or one forward) over one protocol, from the outside.</summary>
public sealed class ExposureCheck
{
    /// <summary>The ExposedHost or TcpForward the name belongs to.</summary>
    public string Exposure { get; init; } = string.Empty;

    /// <summary>The name probed (a random label under a wildcard), or the forward's name.</summary>
    public string Name { get; init; } = string.Empty;

    public ExposureProtocol Protocol { get; init; }

    /// <summary>The public address and port probed.</summary>
    public string Target { get; init; } = string.Empty;

    /// <summary>The worst of the findings.</summary>
    public ExposureStatus Status => Findings.Count == 0 ? ExposureStatus.Ok : Findings.Max(f => f.Severity);

    /// <summary>One line: each hop and how it came out ("DNS ok, route ok, certificate wrong").</summary>
    public string Summary { get; init; } = string.Empty;

    public IReadOnlyList<ExposureFinding> Findings { get; init; } = Array.Empty<ExposureFinding>();

    /// <summary>What the name resolved to (empty for a forward, or when DNS failed).</summary>
    public IReadOnlyList<string> ResolvedAddresses { get; init; } = Array.Empty<string>();

    /// <summary>The router the cloud cluster's routes send the name to, as Test-SniRoute decides; null when none takes it.</summary>
    public string? Route { get; init; }

    /// <summary>The live probe's details (certificate, status, timings), or null when it failed.</summary>
    public SniProbeResult? Probe { get; init; }

    public double DnsMs { get; init; }

    public double ProbeMs { get; init; }

    /// <summary>Days until the certificate expires (HTTPS only).</summary>
    public int? CertificateDaysLeft { get; init; }

    public override string ToString() => $"{Name} {Protocol}: {Status} ({Summary})";
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Routing;
using DnsClient;

namespace ClusterExpose.Engine.Probes;

/// <summary>What Test-Exposure checks against, and how.</summary>
public sealed class ExposureCheckOptions
{
    /// <summary>The cloud side's public address, or a name that resolves to it.</summary>
    public string PublicAddress { get; set; } = string.Empty;

    /// <summary>Overrides every exposure's public HTTP port (a port mapping, a test on loopback).</summary>
    public int? HttpPort { get; set; }

    /// <summary>Overrides every exposure's public HTTPS port.</summary>
    public int? HttpsPort { get; set; }

    /// <summary>The DNS server to ask; null asks the system's resolvers.</summary>
    public IPEndPoint? DnsServer { get; set; }

    /// <summary>Only these names (each must belong to an exposure); empty checks every name.</summary>
    public IReadOnlyList<string> Hostnames { get; set; } = Array.Empty<string>();

    /// <summary>Each probe's deadline (and each DNS query's).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Probes in flight at once.</summary>
    public int Parallelism { get; set; } = 8;

    /// <summary>Root certificates trusted besides the system's (a home lab's own CA).</summary>
    public X509Certificate2Collection? TrustedRoots { get; set; }

    /// <summary>
    /// The routes the cloud side decides with, when they are not just the exposures' own (manifest
    /// files as written, with their priorities and hand-written rules); null renders the exposures.
    /// </summary>
    public RouteSource? Routes { get; set; }

    /// <summary>A certificate with fewer days left than this is a warning.</summary>
    public int ExpiryWarningDays { get; set; } = 14;
}

/// <summary>
/// Checks published exposures from the outside, hop by hop: DNS (A and AAAA, against the public
/// address), the cloud side's routing of the name (the same route table Test-SniRoute answers from),
/// and a live probe: a TLS handshake with the name as SNI (whose certificate tells the private
/// cluster's from the cloud Traefik's default one), an ACME HTTP-01 style request with the name as
/// Host, and a TCP connect for each forward. Every problem is a finding with a stable id.
/// </summary>
public static class ExposureChecker
{
    /// <summary>Traefik's self-signed fallback certificate: the cloud cluster answered a TLS handshake itself.</summary>
    public const string TraefikDefaultCertificate = "TRAEFIK DEFAULT CERT";

    /// <summary>What Traefik answers for a Host it has no router for.</summary>
    private const string TraefikNotFoundBody = "404 page not found\n";

    /// <summary>
    /// Runs every check; <paramref name="progress"/> hears of each one that finishes. Throws a
    /// <see cref="ClusterExposeException"/> only when nothing can be checked (the public address does
    /// not resolve, a -Hostname no exposure has).
    /// </summary>
    public static async Task<IReadOnlyList<ExposureCheck>> CheckAsync(IReadOnlyList<IExposeResource> resources, ExposureCheckOptions options, IProgress<ExposureCheck>? progress, CancellationToken cancellation)
    {
        ILookupClient dns = options.DnsServer is null
            ? new LookupClient(new LookupClientOptions { Timeout = options.Timeout, Retries = 1, UseCache = false, ThrowDnsErrors = false })
            : new LookupClient(new LookupClientOptions(new NameServer(options.DnsServer)) { Timeout = options.Timeout, Retries = 1, UseCache = false, ThrowDnsErrors = false, UseTcpFallback = true });
        IReadOnlyList<IPAddress> publicAddresses = await PublicAddressesAsync(dns, options.PublicAddress, cancellation).ConfigureAwait(false);
        string server = publicAddresses[0].ToString();
        RouteTable table = (options.Routes ?? new RouteSource(resources)).Load(RouteUse.Deciding).Table;
        List<Planned> plan = Plan(resources, options);

        var lookups = new Dictionary<string, Task<Lookup>>(StringComparer.Ordinal);
        foreach (string name in plan.Where(p => p.Protocol != ExposureProtocol.Tcp).Select(p => p.Name).Distinct(StringComparer.Ordinal))
        {
            lookups[name] = LookUpAsync(dns, name, cancellation);
        }

        using var gate = new SemaphoreSlim(Math.Max(1, options.Parallelism));
        Task<ExposureCheck>[] checks = plan.Select(async planned =>
        {
            await gate.WaitAsync(cancellation).ConfigureAwait(false);
            try
            {
                Lookup? lookup = planned.Protocol == ExposureProtocol.Tcp ? null : await lookups[planned.Name].ConfigureAwait(false);
                ExposureCheck check = await CheckOneAsync(planned, lookup, publicAddresses, server, table, options, cancellation).ConfigureAwait(false);
                progress?.Report(check);
                return check;
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        return await Task.WhenAll(checks).ConfigureAwait(false);
    }

    /// <summary>Which names are checked over which protocol, in the order of the exposures.</summary>
    private static List<Planned> Plan(IReadOnlyList<IExposeResource> resources, ExposureCheckOptions options)
    {
        var plan = new List<Planned>();
        var asked = new HashSet<string>(options.Hostnames.Select(h => h.Trim().TrimEnd('.').ToLowerInvariant()), StringComparer.Ordinal);
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (IExposeResource resource in resources)
        {
            if (resource is ExposedHost host)
            {
                // Every name, a wildcard by a random label under it; or the names asked for that this host serves.
                IEnumerable<string> names = asked.Count == 0
                    ? NamesToProbe(host)
                    : asked.Where(a => host.Hostname.Any(pattern => pattern == a || Validation.HostnameNormalizer.Covers(pattern, a)));
                foreach (string name in names)
                {
                    matched.Add(name);
                    plan.Add(new Planned(host, name, ExposureProtocol.Https, options.HttpsPort ?? host.HttpsPort));
                    plan.Add(new Planned(host, name, ExposureProtocol.Http, options.HttpPort ?? host.HttpPort));
                }
            }
            else if (resource is TcpForward forward && (asked.Count == 0 || asked.Contains(forward.Name)))
            {
                matched.Add(forward.Name);
                plan.Add(new Planned(forward, forward.Name, ExposureProtocol.Tcp, forward.Port));
            }
        }

        string[] unknown = asked.Where(a => !matched.Contains(a)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ClusterExposeException(ErrorIds.InvalidHostname, ExposeErrorKind.InvalidArgument,
                $"No exposure serves {string.Join(", ", unknown)}: -Hostname names must belong to the exposures checked.", unknown[0]);
        }

        return plan;
    }

    /// <summary>Each name of a host; a wildcard becomes a random label under it (two for any depth), and its apex.</summary>
    private static IEnumerable<string> NamesToProbe(ExposedHost host)
    {
        var names = new List<string>();
        foreach (string name in host.Hostname)
        {
            if (name.StartsWith("**.", StringComparison.Ordinal))
            {
                string domain = name.Substring(3);
                names.Add($"{RandomLabel()}.{RandomLabel()}.{domain}");
                names.Add(domain);
            }
            else if (name.StartsWith("*.", StringComparison.Ordinal))
            {
                string domain = name.Substring(2);
                names.Add($"{RandomLabel()}.{domain}");
                names.Add(domain);
            }
            else
            {
                names.Add(name);
            }
        }

        return names.Distinct(StringComparer.Ordinal);
    }

    private static string RandomLabel() => "ce-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();

    private static async Task<ExposureCheck> CheckOneAsync(Planned planned, Lookup? lookup, IReadOnlyList<IPAddress> publicAddresses, string server, RouteTable table, ExposureCheckOptions options, CancellationToken cancellation)
    {
        var findings = new List<ExposureFinding>();
        var summary = new List<string>();
        if (lookup is not null)
        {
            (ExposureFinding dnsFinding, string dnsSummary) = JudgeDns(planned.Name, lookup, publicAddresses);
            findings.Add(dnsFinding);
            summary.Add(dnsSummary);
        }

        string? route = null;
        if (planned.Resource is ExposedHost host)
        {
            bool tls = planned.Protocol == ExposureProtocol.Https;
            string entryPoint = tls ? host.HttpsEntryPoint : host.HttpEntryPoint;
            RouteDecision decision = table.Decide(entryPoint, RouteQuery.FromConnection(planned.Name, tls, null, null), tls);
            route = decision.Winner?.Name;
            (ExposureFinding routeFinding, string routeSummary) = JudgeRoute(planned, decision.Winner?.Definition.Service, route, entryPoint);
            findings.Add(routeFinding);
            summary.Add(routeSummary);
        }

        var watch = Stopwatch.StartNew();
        SniProbeResult? probe = null;
        int? daysLeft = null;
        try
        {
            switch (planned.Protocol)
            {
                case ExposureProtocol.Https:
                    probe = await EndpointProbe.ProbeTlsAsync(planned.Name, server, planned.Port, new[] { "h2", "http/1.1" }, options.TrustedRoots, options.Timeout, cancellation).ConfigureAwait(false);
                    daysLeft = probe.CertificateNotAfter is DateTime notAfter ? (int)Math.Floor((notAfter - DateTime.UtcNow).TotalDays) : null;
                    summary.Add(JudgeCertificate(planned.Name, probe, daysLeft, options.ExpiryWarningDays, findings));
                    break;
                case ExposureProtocol.Http:
                    string path = "/.well-known/acme-challenge/" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
                    probe = await EndpointProbe.ProbeHttpAsync(planned.Name, server, planned.Port, path, options.Timeout, cancellation).ConfigureAwait(false);
                    summary.Add(JudgeHttp(probe, findings));
                    break;
                default:
                    probe = await EndpointProbe.ProbeTcpAsync(planned.Name, server, planned.Port, options.Timeout, cancellation).ConfigureAwait(false);
                    findings.Add(new ExposureFinding(ExposureFindingIds.TcpOk, ExposureStatus.Ok,
                        $"{server}:{planned.Port} accepted in {probe.ConnectMs.ToString("0.0", CultureInfo.InvariantCulture)} ms."));
                    summary.Add("connect ok");
                    break;
            }
        }
        catch (ClusterExposeException exception)
        {
            string id = planned.Protocol switch
            {
                ExposureProtocol.Https => ExposureFindingIds.HttpsFailed,
                ExposureProtocol.Http => ExposureFindingIds.HttpFailed,
                _ => ExposureFindingIds.TcpFailed,
            };
            findings.Add(new ExposureFinding(id, ExposureStatus.Failed, $"{exception.ErrorId}: {exception.Message}"));
            summary.Add(planned.Protocol switch
            {
                ExposureProtocol.Https => "TLS failed",
                ExposureProtocol.Http => "HTTP failed",
                _ => "connect failed",
            });
        }

        return new ExposureCheck
        {
            Exposure = planned.Resource.Name,
            Name = planned.Name,
            Protocol = planned.Protocol,
            Target = $"{server}:{planned.Port}",
            Summary = string.Join(", ", summary),
            Findings = findings,
            ResolvedAddresses = lookup?.Addresses.Select(a => a.ToString()).ToArray() ?? Array.Empty<string>(),
            Route = route,
            Probe = probe,
            DnsMs = lookup?.Milliseconds ?? 0,
            ProbeMs = watch.Elapsed.TotalMilliseconds,
            CertificateDaysLeft = daysLeft,
        };
    }

    private static (ExposureFinding Finding, string Summary) JudgeDns(string name, Lookup lookup, IReadOnlyList<IPAddress> publicAddresses)
    {
        if (lookup.Error is string error)
        {
            return (new ExposureFinding(ExposureFindingIds.DnsFailed, ExposureStatus.Failed, $"Looking up {name} failed: {error}."), "DNS failed");
        }

        if (lookup.Addresses.Count == 0)
        {
            return (new ExposureFinding(ExposureFindingIds.DnsNoRecords, ExposureStatus.Failed,
                $"{name} has no A or AAAA record: create one for {string.Join(", ", publicAddresses)}."), "DNS missing");
        }

        string resolved = string.Join(", ", lookup.Addresses);
        string expected = string.Join(", ", publicAddresses);
        int ours = lookup.Addresses.Count(publicAddresses.Contains);
        if (ours == 0)
        {
            return (new ExposureFinding(ExposureFindingIds.DnsElsewhere, ExposureStatus.Failed,
                $"{name} resolves to {resolved}, not to the public address {expected}: clients go elsewhere."), "DNS wrong");
        }

        if (ours < lookup.Addresses.Count)
        {
            string others = string.Join(", ", lookup.Addresses.Where(a => !publicAddresses.Contains(a)));
            return (new ExposureFinding(ExposureFindingIds.DnsPartlyElsewhere, ExposureStatus.Warning,
                $"{name} resolves to {resolved}; {others} is not the public address {expected}, so some clients go elsewhere."), "DNS partly wrong");
        }

        return (new ExposureFinding(ExposureFindingIds.DnsOk, ExposureStatus.Ok, $"{name} resolves to {resolved}."), "DNS ok");
    }

    private static (ExposureFinding Finding, string Summary) JudgeRoute(Planned planned, string? service, string? router, string entryPoint)
    {
        if (router is null)
        {
            return (new ExposureFinding(ExposureFindingIds.RouteMissing, ExposureStatus.Failed,
                $"No route of the cloud cluster takes {planned.Name} on {entryPoint}."), "route missing");
        }

        if (!string.Equals(service, planned.Resource.Name, StringComparison.Ordinal))
        {
            return (new ExposureFinding(ExposureFindingIds.RouteElsewhere, ExposureStatus.Failed,
                $"{planned.Name} on {entryPoint} goes to {router} (service {service}), not to {planned.Resource.Name}: another route shadows it."), "route elsewhere");
        }

        return (new ExposureFinding(ExposureFindingIds.RouteOk, ExposureStatus.Ok, $"{planned.Name} on {entryPoint} goes to {router}."), "route ok");
    }

    private static string JudgeCertificate(string name, SniProbeResult probe, int? daysLeft, int warnDays, List<ExposureFinding> findings)
    {
        string subject = probe.CertificateSubject ?? "(none)";
        if (subject.Contains(TraefikDefaultCertificate, StringComparison.OrdinalIgnoreCase))
        {
            findings.Add(new ExposureFinding(ExposureFindingIds.HttpsDefaultCertificate, ExposureStatus.Failed,
                $"The certificate for {name} is Traefik's default ({subject}): the cloud cluster answered itself; the passthrough route is missing or shadowed."));
            return "certificate wrong (Traefik's default)";
        }

        if (probe.CertificateCoversName != true)
        {
            findings.Add(new ExposureFinding(ExposureFindingIds.HttpsNameNotCovered, ExposureStatus.Failed,
                $"The certificate for {name} ({subject}; names {string.Join(", ", probe.CertificateSans)}) does not cover it: "
                + "the connection reached a server that does not serve this name; the passthrough route may be missing or shadowed."));
            return "certificate wrong";
        }

        string verdict = "certificate ok";
        if (daysLeft is int days && days < 0)
        {
            findings.Add(new ExposureFinding(ExposureFindingIds.HttpsExpired, ExposureStatus.Failed, $"The certificate for {name} expired on {probe.CertificateNotAfter:yyyy-MM-dd}."));
            verdict = "certificate expired";
        }
        else if (daysLeft is int soon && soon < warnDays)
        {
            findings.Add(new ExposureFinding(ExposureFindingIds.HttpsExpiresSoon, ExposureStatus.Warning, $"The certificate for {name} expires in {soon} days ({probe.CertificateNotAfter:yyyy-MM-dd}): is its renewal (HTTP-01 through port 80) working?"));
            verdict = "certificate expiring";
        }

        if (probe.CertificateTrusted != true)
        {
            findings.Add(new ExposureFinding(ExposureFindingIds.HttpsUntrusted, ExposureStatus.Warning,
                $"The certificate for {name} (issuer {probe.CertificateIssuer}) does not validate against this machine's trusted roots."));
            verdict = verdict == "certificate ok" ? "certificate untrusted" : verdict;
        }

        if (verdict == "certificate ok")
        {
            findings.Add(new ExposureFinding(ExposureFindingIds.HttpsOk, ExposureStatus.Ok,
                $"{probe.TlsVersion}{(probe.Alpn is null ? string.Empty : ", ALPN " + probe.Alpn)}, certificate {subject} from {probe.CertificateIssuer}, {daysLeft} days left."));
        }

        return verdict;
    }

    private static string JudgeHttp(SniProbeResult probe, List<ExposureFinding> findings)
    {
        int status = probe.StatusCode ?? 0;
        if (status is 301 or 302 or 303 or 307 or 308 && probe.RedirectLocation?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true)
        {
            findings.Add(new ExposureFinding(ExposureFindingIds.HttpRedirectedToHttps, ExposureStatus.Warning,
                $"The challenge path was redirected to {probe.RedirectLocation}: if the cloud Traefik redirects HTTP to HTTPS, ACME HTTP-01 challenges never reach the private side."));
            return "HTTP redirected";
        }

        if (status == 404 && probe.BodyStart == TraefikNotFoundBody)
        {
            findings.Add(new ExposureFinding(ExposureFindingIds.HttpTraefikNotFound, ExposureStatus.Warning,
                "The answer is Traefik's own '404 page not found' for a Host it has no router for: the cloud Traefik has no route for this name (or the private Traefik none for the challenge path)."));
            return "HTTP not found by Traefik";
        }

        findings.Add(new ExposureFinding(ExposureFindingIds.HttpOk, ExposureStatus.Ok,
            $"The challenge path was answered with {status}{(probe.ServerHeader is null ? string.Empty : " by " + probe.ServerHeader)}: it came through."));
        return "HTTP ok";
    }

    private static async Task<IReadOnlyList<IPAddress>> PublicAddressesAsync(ILookupClient dns, string publicAddress, CancellationToken cancellation)
    {
        string text = publicAddress.Trim();
        if (IPAddress.TryParse(text.Trim('[', ']'), out IPAddress? literal))
        {
            return new[] { literal };
        }

        Lookup lookup = await LookUpAsync(dns, text, cancellation).ConfigureAwait(false);
        if (lookup.Addresses.Count == 0)
        {
            throw new ClusterExposeException(ErrorIds.PublicAddressUnresolved, ExposeErrorKind.InvalidArgument,
                $"The public address '{publicAddress}' is neither an IP address nor a name that resolves{(lookup.Error is null ? string.Empty : ": " + lookup.Error)}.", publicAddress,
                "Give the cloud side's public IP address, or a name with an A or AAAA record.");
        }

        return lookup.Addresses;
    }

    /// <summary>A and AAAA records of a name (following CNAMEs), or why there are none.</summary>
    private static async Task<Lookup> LookUpAsync(ILookupClient dns, string name, CancellationToken cancellation)
    {
        var watch = Stopwatch.StartNew();
        var addresses = new List<IPAddress>();
        string? error = null;
        foreach (QueryType type in new[] { QueryType.A, QueryType.AAAA })
        {
            try
            {
                IDnsQueryResponse response = await dns.QueryAsync(name, type, QueryClass.IN, cancellation).ConfigureAwait(false);
                if (response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain)
                {
                    error ??= response.ErrorMessage;
                }

                addresses.AddRange(response.Answers.ARecords().Select(a => a.Address));
                addresses.AddRange(response.Answers.AaaaRecords().Select(a => a.Address));
            }
            catch (DnsResponseException exception)
            {
                error ??= exception.Message;
            }
        }

        return new Lookup(addresses.Distinct().ToList(), addresses.Count == 0 ? error : null, watch.Elapsed.TotalMilliseconds);
    }

    private sealed record Planned(IExposeResource Resource, string Name, ExposureProtocol Protocol, int Port);

    private sealed record Lookup(IReadOnlyList<IPAddress> Addresses, string? Error, double Milliseconds);
}

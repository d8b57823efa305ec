using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine;

/// <summary>What a factory call produced: a valid object, or every reason there is none.</summary>
public sealed class Validated<T>
    where T : class
{
    public Validated(T? value, IReadOnlyList<ExposeProblem> errors, IReadOnlyList<string>? warnings = null)
    {
        Value = errors.Count == 0 ? value : null;
        Errors = errors;
        Warnings = warnings ?? System.Array.Empty<string>();
    }

    public T? Value { get; }

    public IReadOnlyList<ExposeProblem> Errors { get; }

    /// <summary>What was changed in the input to mean what the object can say.</summary>
    public IReadOnlyList<string> Warnings { get; }
}

/// <summary>
/// Builds model objects from user input: names normalised (IDN to punycode, lowercase, trailing dot
/// dropped), duplicates folded, then validated. The cmdlets and the manifest importer both come here.
/// </summary>
public static class ExposeFactory
{
    public static Validated<ExposedHost> CreateHost(
        string name,
        IEnumerable<string> hostnames,
        bool includeSubdomains,
        IEnumerable<string> targetAddresses,
        string? @namespace = null,
        int httpPort = ExposedHost.DefaultHttpPort,
        int httpsPort = ExposedHost.DefaultHttpsPort,
        int targetHttpPort = ExposedHost.DefaultHttpPort,
        int targetHttpsPort = ExposedHost.DefaultHttpsPort,
        string? httpEntryPoint = null,
        string? httpsEntryPoint = null,
        ProxyProtocolVersion proxyProtocol = ProxyProtocolVersion.None,
        ExposeFlavor flavor = ExposeFlavor.TraefikV3,
        bool includeAllSubdomains = false)
    {
        var errors = new List<ExposeProblem>();
        var warnings = new List<string>();
        var names = new List<string>();
        foreach (string raw in hostnames ?? Enumerable.Empty<string>())
        {
            string? problem = HostnameNormalizer.TryNormalize(raw, out string normalized);
            if (problem is not null)
            {
                errors.Add(ExposeValidator.Invalid(ErrorIds.InvalidHostname, "Hostname", raw, "is not valid: " + problem));
                continue;
            }

            names.Add(normalized);
            if ((includeSubdomains || includeAllSubdomains) && !HostnameNormalizer.IsWildcard(normalized))
            {
                names.Add((includeAllSubdomains ? HostnameNormalizer.AnyDepthPrefix : HostnameNormalizer.WildcardPrefix) + normalized);
            }
        }

        if (flavor == ExposeFlavor.GatewayApi)
        {
            // A Gateway API hostname *.x matches at any depth, and nothing in the Gateway API matches one
            // label only: the exposure says what its routes will do.
            for (int i = 0; i < names.Count; i++)
            {
                if (HostnameNormalizer.IsWildcard(names[i]) && !HostnameNormalizer.IsAnyDepth(names[i]))
                {
                    string domain = HostnameNormalizer.WildcardDomain(names[i]);
                    warnings.Add($"The Gateway API matches '*.{domain}' at any depth (a.b.{domain} too) and has no one-label wildcard; the exposure holds '**.{domain}', which says so.");
                    names[i] = HostnameNormalizer.AnyDepthPrefix + domain;
                }
            }
        }

        var addresses = NormalizeAddresses(targetAddresses, errors);
        var host = new ExposedHost(
            name?.Trim() ?? string.Empty,
            names.Distinct().ToArray(),
            addresses,
            string.IsNullOrEmpty(@namespace) ? ExposedHost.DefaultNamespace : @namespace!,
            httpPort,
            httpsPort,
            targetHttpPort,
            targetHttpsPort,
            string.IsNullOrEmpty(httpEntryPoint) ? ExposedHost.DefaultHttpEntryPoint : httpEntryPoint!,
            string.IsNullOrEmpty(httpsEntryPoint) ? ExposedHost.DefaultHttpsEntryPoint : httpsEntryPoint!,
            proxyProtocol,
            flavor);
        if (errors.Count == 0)
        {
            errors.AddRange(ExposeValidator.ValidateHost(host));
        }

        return new Validated<ExposedHost>(host, errors, warnings);
    }

    public static Validated<TcpForward> CreateForward(
        string name,
        int port,
        IEnumerable<string> targetAddresses,
        int? targetPort = null,
        string? @namespace = null,
        TcpForwardMode mode = TcpForwardMode.TraefikEntryPoint,
        string? entryPoint = null,
        ProxyProtocolVersion proxyProtocol = ProxyProtocolVersion.None,
        ExposeFlavor flavor = ExposeFlavor.TraefikV3)
    {
        var errors = new List<ExposeProblem>();
        var addresses = NormalizeAddresses(targetAddresses, errors);
        var forward = new TcpForward(
            name?.Trim() ?? string.Empty,
            port,
            addresses,
            targetPort ?? port,
            string.IsNullOrEmpty(@namespace) ? ExposedHost.DefaultNamespace : @namespace!,
            mode,
            entryPoint,
            proxyProtocol,
            flavor);
        if (errors.Count == 0)
        {
            errors.AddRange(ExposeValidator.ValidateForward(forward));
        }

        return new Validated<TcpForward>(forward, errors);
    }

    private static string[] NormalizeAddresses(IEnumerable<string>? raw, List<ExposeProblem> errors)
    {
        var addresses = new List<string>();
        foreach (string address in raw ?? Enumerable.Empty<string>())
        {
            if (AddressRules.TryNormalize(address, out string normalized))
            {
                addresses.Add(normalized);
            }
            else
            {
                errors.Add(ExposeValidator.Invalid(ErrorIds.InvalidTargetAddress, "TargetAddress", address, "is not an IPv4 or IPv6 address. Endpoints hold IP addresses, not names."));
            }
        }

        return addresses.Distinct().ToArray();
    }
}

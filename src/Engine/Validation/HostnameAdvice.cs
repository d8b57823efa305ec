using System;
using System.Collections.Generic;

namespace ClusterExpose.Engine.Validation;

/// <summary>
/// Names that are valid but that a user would hardly mean to expose: they are warned about, never
/// refused, since a lab may have reasons (a split-horizon DNS, a test).
/// </summary>
public static class HostnameAdvice
{
    /// <summary>
    /// Registry suffixes of more than one label under which anyone can register a name (a sample of the
    /// Public Suffix List's best-known entries; a single label, a top-level domain, always counts).
    /// </summary>
    private static readonly HashSet<string> RegistrySuffixes = new(StringComparer.Ordinal)
    {
        "co.uk", "org.uk", "me.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "ne.jp", "or.jp",
        "com.br", "com.cn", "com.tw", "com.hk", "co.in", "co.za", "com.mx", "com.tr", "co.kr", "com.sg", "co.il",
        "github.io", "gitlab.io", "netlify.app", "vercel.app", "pages.dev", "workers.dev", "herokuapp.com",
        "duckdns.org", "ddns.net", "no-ip.org", "dynu.net", "ts.net",
    };

    /// <summary>What is odd about a normalised name (<c>*.name</c> or <c>**.name</c> for a wildcard), if anything.</summary>
    public static IEnumerable<string> For(string hostname)
    {
        bool wildcard = HostnameNormalizer.IsWildcard(hostname);
        string name = HostnameNormalizer.WildcardDomain(hostname);
        if (name == "localhost" || name.EndsWith(".localhost", StringComparison.Ordinal))
        {
            yield return $"'{hostname}' never reaches the cloud cluster from the internet: every client resolves localhost names to itself.";
            yield break;
        }

        if (wildcard && (!name.Contains('.') || RegistrySuffixes.Contains(name)))
        {
            yield return $"'{hostname}' is a wildcard directly under the public suffix '{name}': it claims every name anyone registers there, and no certificate can cover it. Did you mean '{hostname[..^name.Length]}example.{name}'?";
        }
        else if (!name.Contains('.'))
        {
            yield return $"'{hostname}' is a single-label name: public DNS does not resolve it, so no client on the internet sends it as SNI or Host header.";
        }
    }
}

using System.Collections.Generic;
using ClusterExpose.Engine.Rules;

namespace ClusterExpose.Engine.Routing;

/// <summary>Which kind of router a rule belongs to: Traefik's HTTP and TCP rule languages differ.</summary>
public enum RouterProtocol
{
    Http,
    Tcp,
}

internal enum MatcherRole
{
    /// <summary>Host / HostSNI / HostHeader: exact names.</summary>
    HostName,
    /// <summary>HostRegexp / HostSNIRegexp.</summary>
    HostPattern,
    ClientIp,
    Alpn,
    /// <summary>Decided by the request after the host: Path, Header, Query, Method.</summary>
    Request,
}

/// <summary>One matcher of Traefik's rule language, with the arity each syntax gives it.</summary>
internal sealed record MatcherInfo(string Name, RouterProtocol Protocol, MatcherRole Role, int V3Min, int V3Max, int V2Min, int V2Max, string? V3Replacement = null)
{
    public const int Many = int.MaxValue;

    /// <summary>Zero maximum: the matcher does not exist in that syntax.</summary>
    public bool ExistsIn(RuleSyntax syntax) => (syntax == RuleSyntax.V3 ? V3Max : V2Max) > 0;
}

/// <summary>Traefik's matchers, v3's and v2's as Traefik v3 registers them (its v2 syntax has ALPN too).</summary>
internal static class MatcherCatalog
{
    private static readonly MatcherInfo[] All =
    {
        new("Host", RouterProtocol.Http, MatcherRole.HostName, 1, 1, 1, MatcherInfo.Many),
        new("HostHeader", RouterProtocol.Http, MatcherRole.HostName, 0, 0, 1, MatcherInfo.Many, "Host"),
        new("HostRegexp", RouterProtocol.Http, MatcherRole.HostPattern, 1, 1, 1, MatcherInfo.Many),
        new("ClientIP", RouterProtocol.Http, MatcherRole.ClientIp, 1, 1, 1, MatcherInfo.Many),
        new("Path", RouterProtocol.Http, MatcherRole.Request, 1, 1, 1, MatcherInfo.Many),
        new("PathPrefix", RouterProtocol.Http, MatcherRole.Request, 1, 1, 1, MatcherInfo.Many),
        new("PathRegexp", RouterProtocol.Http, MatcherRole.Request, 1, 1, 0, 0),
        new("Method", RouterProtocol.Http, MatcherRole.Request, 1, 1, 1, MatcherInfo.Many),
        new("Header", RouterProtocol.Http, MatcherRole.Request, 2, 2, 0, 0),
        new("HeaderRegexp", RouterProtocol.Http, MatcherRole.Request, 2, 2, 0, 0),
        new("Headers", RouterProtocol.Http, MatcherRole.Request, 0, 0, 2, 2, "Header"),
        new("HeadersRegexp", RouterProtocol.Http, MatcherRole.Request, 0, 0, 2, 2, "HeaderRegexp"),
        new("Query", RouterProtocol.Http, MatcherRole.Request, 1, 2, 1, MatcherInfo.Many),
        new("QueryRegexp", RouterProtocol.Http, MatcherRole.Request, 1, 2, 0, 0),
        new("HostSNI", RouterProtocol.Tcp, MatcherRole.HostName, 1, 1, 1, MatcherInfo.Many),
        new("HostSNIRegexp", RouterProtocol.Tcp, MatcherRole.HostPattern, 1, 1, 1, MatcherInfo.Many),
        new("ClientIP", RouterProtocol.Tcp, MatcherRole.ClientIp, 1, 1, 1, MatcherInfo.Many),
        new("ALPN", RouterProtocol.Tcp, MatcherRole.Alpn, 1, 1, 1, MatcherInfo.Many),
    };

    /// <summary>
    /// The catalogue spelling of a matcher name written in one of the forms Traefik's parser registers
    /// for it: as documented, all lower case, all upper case, or capitalised (<c>Hostsni</c>); any other
    /// spelling (<c>HostSni</c>) is returned as written, and is unknown.
    /// </summary>
    public static string Canonical(string name)
    {
        foreach (MatcherInfo info in All)
        {
            if (name == info.Name)
            {
                return name;
            }
        }

        foreach (MatcherInfo info in All)
        {
            string lower = info.Name.ToLowerInvariant();
            if (name == lower || name == info.Name.ToUpperInvariant() || name == char.ToUpperInvariant(lower[0]) + lower.Substring(1))
            {
                return info.Name;
            }
        }

        return name;
    }

    public static MatcherInfo? Find(string name, RouterProtocol protocol)
    {
        foreach (MatcherInfo info in All)
        {
            if (info.Protocol == protocol && info.Name == name)
            {
                return info;
            }
        }

        return null;
    }

    /// <summary>The matcher of that name in the other protocol, for a "wrong kind of router" message.</summary>
    public static MatcherInfo? FindElsewhere(string name, RouterProtocol protocol)
    {
        RouterProtocol other = protocol == RouterProtocol.Http ? RouterProtocol.Tcp : RouterProtocol.Http;
        return Find(name, other);
    }

    public static IEnumerable<MatcherInfo> Matchers => All;
}

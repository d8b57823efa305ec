using System;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose.OracleAgreement;

/// <summary>
/// Random route sets in the shapes users write and get wrong: exact names, one-label and any-depth
/// wildcards, regexps, catch-alls, ClientIP and ALPN, both syntaxes, matcher names in odd cases,
/// explicit priorities; and connections with names near those the rules mention.
/// </summary>
internal sealed class RouteSetGenerator
{
    private static readonly string[] Domains = { "example.com", "b.example.com", "kl.example.top", "kl.test" };
    private static readonly string[] Labels = { "a", "b", "x", "app", "h1", "h22", "www" };
    private static readonly string[] Clients = { "203.0.113.7", "10.1.2.3", "192.0.2.1", "2001:db8::7" };
    private static readonly string[] Networks = { "203.0.113.0/24", "10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::1" };
    private static readonly string[][] AlpnLists = { Array.Empty<string>(), new[] { "h2" }, new[] { "http/1.1" }, new[] { "h2", "http/1.1" }, new[] { "postgresql" } };

    private readonly Random random;

    public RouteSetGenerator(Random random) => this.random = random;

    public GeneratedCase Next()
    {
        int count = 1 + random.Next(5);
        var routers = new List<GeneratedRouter>();
        for (int i = 0; i < count; i++)
        {
            routers.Add(Router($"ns/r{i}"));
        }

        var entryPoints = routers.SelectMany(r => r.EntryPoints).Distinct().ToList();
        var queries = new List<GeneratedQuery>();
        for (int i = 0; i < 4; i++)
        {
            string entryPoint = Pick(entryPoints.ToArray());
            bool tls = entryPoint == "websecure" ? random.Next(8) != 0 : random.Next(8) == 0;
            string[] alpn = random.Next(40) == 0 ? new[] { "acme-tls/1" } : Pick(AlpnLists);
            queries.Add(new GeneratedQuery(entryPoint, tls, QueryName(routers, tls), Pick(Clients), alpn));
        }

        return new GeneratedCase(routers, queries);
    }

    private GeneratedRouter Router(string name)
    {
        bool tcp = random.Next(2) == 0;
        // Always named: the oracle does not give a router without entry points Traefik's default ones.
        string[] entryPoints = random.Next(10) switch
        {
            < 6 => new[] { "websecure" },
            < 9 => new[] { "web" },
            _ => new[] { "web", "websecure" },
        };
        bool onSecure = entryPoints.Contains("websecure");
        bool tls = onSecure ? random.Next(6) != 0 : random.Next(6) == 0;
        string syntax = random.Next(10) switch
        {
            < 5 => string.Empty,
            < 7 => "v3",
            _ => "v2",
        };
        int priority = random.Next(10) < 7 ? 0 : Pick(new[] { 1, 10, 30, 44, 100, 1000 });
        string rule = Rule(tcp, syntax == "v2", tls, depth: 0);
        return new GeneratedRouter(name, tcp ? "tcp" : "http", entryPoints, rule, priority, syntax, tls, tcp && tls && random.Next(5) != 0);
    }

    private string Rule(bool tcp, bool v2, bool tls, int depth)
    {
        int shape = depth >= 2 ? 0 : random.Next(10);
        switch (shape)
        {
            case 7:
                return Atom(tcp, v2, tls) + (random.Next(2) == 0 ? " && " : " || ") + Rule(tcp, v2, tls, depth + 1);
            case 8:
                return "!" + (random.Next(2) == 0 ? Atom(tcp, v2, tls) : "(" + Rule(tcp, v2, tls, depth + 1) + ")");
            case 9:
                return "(" + Rule(tcp, v2, tls, depth + 1) + ") && " + Atom(tcp, v2, tls);
            default:
                return Atom(tcp, v2, tls);
        }
    }

    private string Atom(bool tcp, bool v2, bool tls)
    {
        string domain = Pick(Domains);
        string exact = Pick(Labels) + "." + domain;
        if (tcp)
        {
            return random.Next(14) switch
            {
                0 or 1 => Call("HostSNI", exact),
                2 => Call("HostSNI", "*"),
                3 => Call("HostSNI", "*." + domain),
                4 => Call("HostSNI", random.Next(2) == 0 ? "**." + domain : domain),
                5 => Call("HostSNIRegexp", v2 ? "{sub:[a-z0-9]+}." + domain : "^[a-z0-9-]+\\." + Escape(domain) + "$"),
                6 => Call("HostSNIRegexp", v2 ? "{sub:.+}." + domain : "^.+\\." + Escape(domain) + "$"),
                7 => Call("HostSNIRegexp", v2 ? "{h:h[0-9]+}." + domain : "^h[0-9]+\\." + Escape(domain) + (random.Next(2) == 0 ? "$" : string.Empty)),
                8 => Call("ClientIP", Pick(Networks)),
                9 => Call("ALPN", Pick(new[] { "h2", "http/1.1", "postgresql" })),
                10 => v2 ? Call("HostSNI", exact, Pick(Labels) + "." + domain) : Call("HostSNI", exact),
                11 => Call("HostSNI", exact.ToUpperInvariant()),
                12 => Call("HostSNI", random.Next(2) == 0 ? exact + "." : "10.0.0.1"),
                _ => Call("HostSNI", exact),
            };
        }

        return random.Next(16) switch
        {
            0 or 1 => Call("Host", exact),
            2 => Call("Host", "*"),
            3 => Call("Host", "*." + domain),
            4 => Call("Host", random.Next(2) == 0 ? "**." + domain : domain),
            5 => Call("HostRegexp", v2 ? "{sub:[a-z0-9]+}." + domain : "^[a-z0-9-]+\\." + Escape(domain) + "$"),
            6 => Call("HostRegexp", v2 ? "{sub:.+}." + domain : "^.+\\." + Escape(domain) + "$"),
            7 => Call("HostRegexp", v2 ? "{h:h[0-9]+}." + domain : "^h[0-9]+\\." + Escape(domain) + (random.Next(2) == 0 ? "$" : string.Empty)),
            8 => Call("ClientIP", Pick(Networks)),
            9 => Call("PathPrefix", "/"),
            10 => v2 ? Call("Host", exact, Pick(Labels) + "." + domain) : Call("Host", exact),
            11 => Call("HostHeader", exact),
            12 => Call("Host", exact.ToUpperInvariant()),
            13 => Call("Host", random.Next(2) == 0 ? exact + "." : "10.0.0.1"),
            14 => Call("HostRegexp", "^" + Escape(exact) + "\\.?$"),
            _ => Call("Host", exact),
        };
    }

    private string Call(string matcher, params string[] values)
    {
        // Traefik registers each matcher under a few spellings; the others are refused.
        string name = random.Next(25) switch
        {
            0 => matcher.ToLowerInvariant(),
            1 => matcher.ToUpperInvariant(),
            2 => char.ToUpperInvariant(matcher[0]) + matcher.Substring(1).ToLowerInvariant(),
            3 => matcher.Replace("SNI", "Sni", StringComparison.Ordinal).Replace("IP", "Ip", StringComparison.Ordinal),
            _ => matcher,
        };
        return name + "(" + string.Join(", ", values.Select(v => "`" + v + "`")) + ")";
    }

    private string QueryName(List<GeneratedRouter> routers, bool tls)
    {
        string domain = Pick(Domains);
        string name = random.Next(10) switch
        {
            < 4 => Pick(Labels) + "." + domain,
            4 => domain,
            5 => Pick(Labels) + "." + Pick(Labels) + "." + domain,
            6 => "h" + random.Next(1000) + "." + domain,
            7 => random.Next(2) == 0 ? "other.org" : "10.0.0.1",
            8 => tls ? string.Empty : Pick(Labels) + "." + domain,
            _ => NameFromRule(Pick(routers.ToArray()).Rule) ?? Pick(Labels) + "." + domain,
        };
        return random.Next(12) switch
        {
            0 => name.ToUpperInvariant(),
            1 when name.Length > 0 => name + ".",
            _ => name,
        };
    }

    private static string? NameFromRule(string rule)
    {
        int start = rule.IndexOf('`');
        if (start < 0)
        {
            return null;
        }

        int end = rule.IndexOf('`', start + 1);
        string value = rule.Substring(start + 1, end - start - 1);
        return value.Contains('/') || value.Contains('^') || value.Contains('{') || value == "*" ? null : value.Replace("**.", "q.", StringComparison.Ordinal).Replace("*.", "z.", StringComparison.Ordinal).TrimEnd('.').ToLowerInvariant();
    }

    private static string Escape(string domain) => domain.Replace(".", "\\.", StringComparison.Ordinal);

    private T Pick<T>(T[] items) => items[random.Next(items.Length)];
}

using System.Collections.Generic;
using System.Linq;
using System.Text;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Rules;

/// <summary>
/// Writes the Traefik rule that matches a set of normalised host names, for HTTP routers (Host) or
/// TCP routers (HostSNI), in either syntax. A <c>*.domain</c> wildcard matches exactly one label,
/// as Traefik's native wildcard does, so every form below means the same thing; a <c>**.domain</c>
/// one matches every name under the domain at any depth, written as an anchored regexp.
/// </summary>
public static class HostRuleWriter
{
    /// <summary>The priority of a route of exact names: above every wildcard route.</summary>
    public const int ExactNamesPriority = 30000;

    /// <summary>
    /// One-label wildcard routes rank below exact names and above any shorter domain's: this plus the
    /// length of the longest domain. No name is longer than 253, so the tiers never meet, and they sit
    /// above the default priority (the rule's length) of hand-written routes.
    /// </summary>
    public const int WildcardPriorityBase = 20000;

    /// <summary>Any-depth wildcard routes (one per wildcard) rank below every one-label wildcard: this plus the length of the domain.</summary>
    public const int AnyDepthPriorityBase = 10000;

    /// <summary>
    /// The routes of an exposure's names, most specific first: one for its exact names, one for its
    /// one-label wildcards and one for its any-depth wildcards, each with the explicit priority that
    /// makes the most specific name win, as in
    /// nginx, HAProxy and sniproxy. (Traefik's default, the rule's length, would let a long wildcard
    /// regexp outrank a short exact name of another exposure.)
    /// </summary>
    public static IReadOnlyList<HostRoute> HttpRoutes(IEnumerable<string> hostnames, RuleSyntax syntax, bool nativeWildcards) =>
        Routes(hostnames, "Host", "HostRegexp", syntax, nativeWildcards);

    /// <summary>The TCP (HostSNI) counterpart of <see cref="HttpRoutes"/>.</summary>
    public static IReadOnlyList<HostRoute> SniRoutes(IEnumerable<string> hostnames, RuleSyntax syntax, bool nativeWildcards) =>
        Routes(hostnames, "HostSNI", "HostSNIRegexp", syntax, nativeWildcards);

    /// <summary>One DNS label, lowercase: Traefik lowercases the name before a regexp sees it.</summary>
    public const string OneLabelPattern = "[a-z0-9-]+";

    /// <summary>One or more labels: anything before the domain's dot (names are checked before they are routed).</summary>
    public const string AnyDepthPattern = ".+";

    /// <summary>The name v2 templates give the label; Traefik ignores it.</summary>
    public const string V2TemplateName = "subdomain";

    /// <summary>A v3 (Go) regexp for the names of <paramref name="wildcard"/> (<c>*.domain</c> or <c>**.domain</c>): anchored, dots escaped.</summary>
    public static string V3WildcardRegexp(string wildcard) =>
        "^" + LabelPattern(wildcard) + "\\." + EscapeGoRegexp(HostnameNormalizer.WildcardDomain(wildcard)) + "$";

    /// <summary>A v2 template for the names of <paramref name="wildcard"/>; literal dots stay literal in templates.</summary>
    public static string V2WildcardTemplate(string wildcard) =>
        "{" + V2TemplateName + ":" + LabelPattern(wildcard) + "}." + HostnameNormalizer.WildcardDomain(wildcard);

    private static string LabelPattern(string wildcard) => HostnameNormalizer.IsAnyDepth(wildcard) ? AnyDepthPattern : OneLabelPattern;

    public static string EscapeGoRegexp(string literal)
    {
        var builder = new StringBuilder(literal.Length + 8);
        foreach (char c in literal)
        {
            if ("\\.+*?()|[]{}^$".IndexOf(c) >= 0)
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    private static IReadOnlyList<HostRoute> Routes(IEnumerable<string> hostnames, string exactMatcher, string regexpMatcher, RuleSyntax syntax, bool nativeWildcards)
    {
        var names = hostnames.ToList();
        var exact = names.Where(n => !HostnameNormalizer.IsWildcard(n)).ToList();
        var oneLabel = names.Where(n => HostnameNormalizer.IsWildcard(n) && !HostnameNormalizer.IsAnyDepth(n)).ToList();
        var anyDepth = names.Where(HostnameNormalizer.IsAnyDepth).ToList();
        var routes = new List<HostRoute>();
        if (exact.Count > 0)
        {
            // v2 matchers take several values; one call keeps the rule short. v3 takes one value per call.
            string rule = syntax == RuleSyntax.V2 ? Call(exactMatcher, exact) : string.Join(" || ", exact.Select(n => Call(exactMatcher, new[] { n })));
            routes.Add(new HostRoute(rule, ExactNamesPriority));
        }

        // Traefik 3.7's native wildcard is one label; any depth is always a regexp.
        if (oneLabel.Count > 0)
        {
            routes.Add(new HostRoute(WildcardRule(oneLabel, exactMatcher, regexpMatcher, syntax, nativeWildcards), WildcardPriorityBase + oneLabel.Max(w => HostnameNormalizer.WildcardDomain(w).Length)));
        }

        // Any-depth wildcards nest (**.a.example.com lies inside **.example.com), so each is a route of
        // its own, ranked by its own domain: the longer one wins the names under it.
        foreach (string wildcard in anyDepth.OrderByDescending(w => w.Length).ThenBy(w => w, System.StringComparer.Ordinal))
        {
            routes.Add(new HostRoute(WildcardRule(new[] { wildcard }, exactMatcher, regexpMatcher, syntax, nativeWildcards: false), AnyDepthPriorityBase + HostnameNormalizer.WildcardDomain(wildcard).Length));
        }

        return routes;
    }

    private static string WildcardRule(IReadOnlyList<string> wildcards, string exactMatcher, string regexpMatcher, RuleSyntax syntax, bool nativeWildcards) =>
        syntax == RuleSyntax.V2
            ? Call(regexpMatcher, wildcards.Select(V2WildcardTemplate))
            : string.Join(" || ", wildcards.Select(w => nativeWildcards
                ? Call(exactMatcher, new[] { w })
                : Call(regexpMatcher, new[] { V3WildcardRegexp(w) })));

    private static string Call(string matcher, IEnumerable<string> values) =>
        matcher + "(" + string.Join(", ", values.Select(v => "`" + v + "`")) + ")";
}

/// <summary>One route's rule and the explicit priority it is written with.</summary>
public sealed record HostRoute(string Rule, int Priority);

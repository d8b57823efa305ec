using System.Collections.Generic;
using System.Linq;
using System.Text;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Rules;

/// <summary>
/// Writes the Traefik rule that matches a set of normalised host names, for HTTP routers (Host) or
/// TCP routers (HostSNI), in either syntax. A <c>*.domain</c> wildcard matches exactly one label,
/// as Traefik's native wildcard does, so every form below means the same thing.
/// </summary>
public static class HostRuleWriter
{
    /// <summary>One DNS label, lowercase: Traefik lowercases the name before a regexp sees it.</summary>
    public const string OneLabelPattern = "[a-z0-9-]+";

    /// <summary>The name v2 templates give the label; Traefik ignores it.</summary>
    public const string V2TemplateName = "subdomain";

    public static string HttpRule(IEnumerable<string> hostnames, RuleSyntax syntax, bool nativeWildcards) =>
        Write(hostnames, "Host", "HostRegexp", syntax, nativeWildcards);

    public static string SniRule(IEnumerable<string> hostnames, RuleSyntax syntax, bool nativeWildcards) =>
        Write(hostnames, "HostSNI", "HostSNIRegexp", syntax, nativeWildcards);

    /// <summary>A v3 (Go) regexp for one label under <paramref name="domain"/>: anchored, dots escaped.</summary>
    public static string V3WildcardRegexp(string domain) => "^" + OneLabelPattern + "\\." + EscapeGoRegexp(domain) + "$";

    /// <summary>A v2 template for one label under <paramref name="domain"/>; literal dots stay literal in templates.</summary>
    public static string V2WildcardTemplate(string domain) => "{" + V2TemplateName + ":" + OneLabelPattern + "}." + domain;

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

    private static string Write(IEnumerable<string> hostnames, string exactMatcher, string regexpMatcher, RuleSyntax syntax, bool nativeWildcards)
    {
        var names = hostnames.ToList();
        var exact = names.Where(n => !HostnameNormalizer.IsWildcard(n)).ToList();
        var wildcards = names.Where(HostnameNormalizer.IsWildcard).Select(HostnameNormalizer.WildcardDomain).ToList();
        var terms = new List<string>();
        if (syntax == RuleSyntax.V2)
        {
            // v2 matchers take several values; one call per matcher keeps the rule short (and so its default priority low).
            if (exact.Count > 0)
            {
                terms.Add(Call(exactMatcher, exact));
            }

            if (wildcards.Count > 0)
            {
                terms.Add(Call(regexpMatcher, wildcards.Select(V2WildcardTemplate)));
            }
        }
        else
        {
            terms.AddRange(exact.Select(n => Call(exactMatcher, new[] { n })));
            terms.AddRange(wildcards.Select(d => nativeWildcards
                ? Call(exactMatcher, new[] { HostnameNormalizer.WildcardPrefix + d })
                : Call(regexpMatcher, new[] { V3WildcardRegexp(d) })));
        }

        return string.Join(" || ", terms);
    }

    private static string Call(string matcher, IEnumerable<string> values) =>
        matcher + "(" + string.Join(", ", values.Select(v => "`" + v + "`")) + ")";
}

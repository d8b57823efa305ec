using System;
using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Rules;

namespace ClusterExpose.Engine.Routing;

/// <summary>Stable codes of lint findings beyond the rule diagnostics (which keep their own codes).</summary>
public static class LintCodes
{
    public const string V2TemplateUnderV3 = "V2TemplateUnderV3";
    public const string UnanchoredRegexp = "UnanchoredRegexp";
    public const string UnescapedDot = "UnescapedDot";
    public const string SniRouteTerminatesTls = "SniRouteTerminatesTls";
    public const string PassthroughWithoutHttpRoute = "PassthroughWithoutHttpRoute";
    public const string EqualPriority = "EqualPriority";
    public const string HttpsShadowsPassthrough = "HttpsShadowsPassthrough";
    public const string HttpsCatchAllShadowsTcpCatchAll = "HttpsCatchAllShadowsTcpCatchAll";
    public const string LongRuleOutranksExactRule = "LongRuleOutranksExactRule";
    public const string SharedWildcardCertificate = "SharedWildcardCertificate";
    public const string HostNeverMatches = "HostNeverMatches";
}

/// <summary>
/// Finds the mistakes that show up only as broken sites: rules Traefik refuses, regexps that match
/// more than meant, routers that never win, passthrough names ACME cannot reach. Names to try are
/// taken from the rules themselves (a one-label wildcard is tried with a sample label).
/// </summary>
public static class RouteLinter
{
    /// <summary>The label put in front of a wildcard's domain to get a name the wildcard covers.</summary>
    public const string SampleLabel = "sample";

    public static IReadOnlyList<RouteLintFinding> Lint(RouteTable table)
    {
        var findings = new List<RouteLintFinding>();
        foreach (CompiledRouter router in table.Routers)
        {
            if (!router.Accepted)
            {
                foreach (RuleDiagnostic diagnostic in router.Diagnostics)
                {
                    findings.Add(Finding(LintSeverity.Error, diagnostic.Code, router, null,
                        $"Traefik refuses the rule, so the router does not exist: {diagnostic}.", FixFor(diagnostic.Code)));
                }

                continue;
            }

            LintPatterns(router, findings);
            if (router.Definition.Protocol == RouterProtocol.Tcp && router.Definition.Tls == RouterTls.Terminate
                && (router.Definition.Port == 443 || (router.Definition.Service ?? string.Empty).Contains("https", StringComparison.OrdinalIgnoreCase)))
            {
                findings.Add(Finding(LintSeverity.Warning, LintCodes.SniRouteTerminatesTls, router, null,
                    $"The TCP router terminates TLS and sends plain bytes to port {router.Definition.Port}, where the target expects TLS.",
                    "Set tls.passthrough: true so the private cluster terminates TLS with its own certificates."));
            }
        }

        var accepted = table.Routers.Where(r => r.Accepted).ToList();
        foreach (CompiledRouter passthrough in accepted.Where(r => r.Definition.Tls == RouterTls.Passthrough))
        {
            LintAcmeReachability(table, passthrough, findings);
        }

        foreach (string entryPoint in EntryPointsOf(table))
        {
            LintEntryPoint(table, entryPoint, findings);
        }

        return findings;
    }

    /// <summary>Names a router's rule mentions: exact names, and a sample name under each wildcard.</summary>
    public static IReadOnlyList<string> SampleNames(CompiledRouter router)
    {
        var names = new List<string>();
        if (router.Rule is null)
        {
            return names;
        }

        foreach (MatcherCall call in Calls(router.Rule.Expression))
        {
            bool sni = call.Name.StartsWith("HostSNI", StringComparison.Ordinal);
            if (call.Name is "Host" or "HostSNI" or "HostHeader")
            {
                names.AddRange(call.Arguments.Where(a => a != "*").Select(a => Sample(a.ToLowerInvariant().TrimEnd('.'))));
            }
            else if (call.Name is "HostRegexp" or "HostSNIRegexp")
            {
                foreach (string argument in call.Arguments)
                {
                    HostRuleReading reading = HostRuleReader.Read($"{call.Name}(`{argument}`)", sni, router.Rule.Syntax);
                    names.AddRange(reading.Hostnames.Select(Sample));
                }
            }
        }

        return names.Distinct(StringComparer.Ordinal).ToList();
    }

    private static string Sample(string name) =>
        name.StartsWith("**.", StringComparison.Ordinal) ? SampleLabel + "." + name.Substring(3)
        : name.StartsWith("*.", StringComparison.Ordinal) ? SampleLabel + "." + name.Substring(2)
        : name;

    private static void LintPatterns(CompiledRouter router, List<RouteLintFinding> findings)
    {
        // Host accepts these values, so Traefik keeps the router, but they match no name a client sends.
        foreach (MatcherCall call in Calls(router.Rule!.Expression).Where(c => c.Name is "Host" or "HostHeader"))
        {
            foreach (string value in call.Arguments)
            {
                string? why = value.StartsWith("**.", StringComparison.Ordinal)
                    ? $"Traefik has no '**.' wildcard: {call.Name}(`{value}`) matches no name."
                    : router.Rule.Syntax == RuleSyntax.V2 && value.StartsWith("*.", StringComparison.Ordinal)
                        ? $"Under v2 syntax {call.Name} compares names literally: {call.Name}(`{value}`) matches no name a client sends."
                        : null;
                if (why is not null)
                {
                    string domain = value.Substring(value.IndexOf('.') + 1);
                    findings.Add(Finding(LintSeverity.Error, LintCodes.HostNeverMatches, router, null, why,
                        router.Rule.Syntax == RuleSyntax.V2
                            ? $"Write HostRegexp(`{{subdomain:[a-z0-9-]+}}.{domain}`) for one label, or `{{subdomain:.+}}` for any depth."
                            : $"Write Host(`*.{domain}`) for one label, or HostRegexp(`^.+\\.{HostRuleWriter.EscapeGoRegexp(domain)}$`) for any depth."));
                }
            }
        }

        if (router.Rule.Syntax != RuleSyntax.V3)
        {
            return;
        }

        foreach (MatcherCall call in Calls(router.Rule.Expression).Where(c => c.Name is "HostRegexp" or "HostSNIRegexp"))
        {
            string pattern = call.Arguments[0];
            if (pattern.Contains('{', StringComparison.Ordinal) && pattern.Contains(':', StringComparison.Ordinal) && pattern.Contains('}', StringComparison.Ordinal))
            {
                findings.Add(Finding(LintSeverity.Error, LintCodes.V2TemplateUnderV3, router, null,
                    $"`{pattern}` is a Traefik v2 template; under v3 the braces are literal and the rule never matches.",
                    $"Write a Go regexp such as `{ConvertTemplate(pattern)}`, or add syntax: v2 to the route."));
                continue;
            }

            if (!pattern.StartsWith('^') || !pattern.EndsWith('$'))
            {
                findings.Add(Finding(LintSeverity.Warning, LintCodes.UnanchoredRegexp, router, null,
                    $"`{pattern}` is not anchored: Traefik runs it unanchored, so any name containing a match is taken (for example {SampleLabel}.{Strip(pattern)}.attacker.example).",
                    "Anchor the regexp with ^ and $."));
            }

            int dot = UnescapedDot(pattern);
            if (dot >= 0)
            {
                findings.Add(Finding(LintSeverity.Warning, LintCodes.UnescapedDot, router, null,
                    $"In `{pattern}` the dot at offset {dot} is not escaped, so it matches any character, not only '.'.",
                    "Escape literal dots as \\."));
            }
        }
    }

    private static void LintAcmeReachability(RouteTable table, CompiledRouter passthrough, List<RouteLintFinding> findings)
    {
        var unreachable = new List<string>();
        foreach (string name in SampleNames(passthrough))
        {
            bool reached = EntryPointsOf(table).Any(ep => !table.ExpectsTls(ep)
                && table.Decide(ep, new RouteQuery(name), tls: false).Kind == RouteKind.Http);
            if (!reached)
            {
                unreachable.Add(name);
            }
        }

        if (unreachable.Count > 0)
        {
            findings.Add(Finding(LintSeverity.Warning, LintCodes.PassthroughWithoutHttpRoute, passthrough, null,
                $"No HTTP router takes {string.Join(", ", unreachable)} in clear, so Let's Encrypt HTTP-01 challenges for the private cluster's certificates cannot arrive.",
                "Add an HTTP route (Host rule on the web entry point) to the same backend, as New-ExposedHost does."));
        }
    }

    private static void LintEntryPoint(RouteTable table, string entryPoint, List<RouteLintFinding> findings)
    {
        bool tls = table.ExpectsTls(entryPoint);
        var here = table.OnEntryPoint(entryPoint).ToList();
        if (tls && here.Any(r => r.IsHttps && r.SniDomains is { Count: 0 }) && here.FirstOrDefault(r => r.IsTlsTcp && r.Rule!.IsCatchAll) is CompiledRouter tcpCatchAll)
        {
            CompiledRouter https = here.First(r => r.IsHttps && r.SniDomains is { Count: 0 });
            findings.Add(Finding(LintSeverity.Warning, LintCodes.HttpsCatchAllShadowsTcpCatchAll, https, entryPoint,
                $"This HTTPS router names no host, so Traefik treats it as an HTTPS catch-all: it takes every TLS connection {tcpCatchAll.Name} (HostSNI(`*`)) was meant to catch.",
                "Give the HTTPS router a Host(...) matcher, or move it to another entry point."));
        }

        var reported = new HashSet<string>(StringComparer.Ordinal);
        var names = here.SelectMany(SampleNames).Distinct(StringComparer.Ordinal).ToList();
        foreach (string name in names)
        {
            RouteDecision decision = table.Decide(entryPoint, new RouteQuery(name), tls);
            if (decision.Winner is not CompiledRouter winner)
            {
                continue;
            }

            if (decision.Ambiguous && reported.Add(LintCodes.EqualPriority + winner.Name))
            {
                var tied = decision.Shadowed.Where(s => s.Priority == winner.Priority).Select(s => s.Router);
                findings.Add(Finding(LintSeverity.Warning, LintCodes.EqualPriority, winner, entryPoint,
                    $"{name} is claimed by {winner.Name} and {string.Join(", ", tied)} with the same priority {winner.Priority}; Traefik's choice between them is not defined.",
                    "Remove the duplicate claim, or set an explicit priority on the router that should win."));
            }

            var shadowedRouters = decision.Shadowed.Select(s => table.Routers.First(r => r.Name == s.Router && r.Definition.IsOn(entryPoint))).ToList();
            if (winner.IsHttps && shadowedRouters.FirstOrDefault(r => r.Definition.Tls == RouterTls.Passthrough) is CompiledRouter lost
                && reported.Add(LintCodes.HttpsShadowsPassthrough + winner.Name + lost.Name))
            {
                findings.Add(Finding(LintSeverity.Warning, LintCodes.HttpsShadowsPassthrough, winner, entryPoint,
                    $"This HTTPS router names {name}, which the passthrough router {lost.Name} also claims: Traefik terminates TLS for it and the passthrough never happens.",
                    $"Remove {name} from the HTTPS router's tls/Host rule, or serve it only through {lost.Name}."));
            }

            if (winner.Definition.ExplicitPriority == 0 && HasPattern(winner)
                && shadowedRouters.FirstOrDefault(r => r.Definition.ExplicitPriority == 0 && r.Priority < winner.Priority && NamesExactly(r, name) && SameStage(r, winner)) is CompiledRouter exact
                && reported.Add(LintCodes.LongRuleOutranksExactRule + winner.Name + exact.Name))
            {
                findings.Add(Finding(LintSeverity.Warning, LintCodes.LongRuleOutranksExactRule, winner, entryPoint,
                    $"{name} is named exactly by {exact.Name} (priority {exact.Priority}), but this longer regexp rule (priority {winner.Priority}) wins: Traefik ranks rules by length.",
                    $"Set priority on {exact.Name} above {winner.Priority}."));
            }
        }

        LintSharedWildcards(table, entryPoint, tls, here, findings);
    }

    private static void LintSharedWildcards(RouteTable table, string entryPoint, bool tls, List<CompiledRouter> here, List<RouteLintFinding> findings)
    {
        if (!tls)
        {
            return;
        }

        foreach (CompiledRouter wildcardOwner in here.Where(r => r.Definition.Tls == RouterTls.Passthrough))
        {
            var wildcardDomains = WildcardDomains(wildcardOwner).ToList();
            foreach (CompiledRouter other in here.Where(r => r.Definition.Tls == RouterTls.Passthrough && !ReferenceEquals(r, wildcardOwner) && !SameBackend(r, wildcardOwner)))
            {
                foreach (string name in SampleNames(other))
                {
                    string? covering = wildcardDomains.FirstOrDefault(d => name.EndsWith("." + d, StringComparison.Ordinal) && name.IndexOf('.') == name.Length - d.Length - 1);
                    if (covering is not null && table.Decide(entryPoint, new RouteQuery(name), tls: true).Winner == other)
                    {
                        findings.Add(Finding(LintSeverity.Warning, LintCodes.SharedWildcardCertificate, wildcardOwner, entryPoint,
                            $"The backend of this router serves *.{covering}; a certificate for it also covers {name}, which goes to another backend ({other.Name}). Browsers reuse an HTTP/2 connection for any name its certificate covers, so requests for {name} can reach the wrong backend.",
                            $"Give the backend of {other.Name} a name outside *.{covering}, or have the *.{covering} backend answer 421 for names it does not serve."));
                        break;
                    }
                }
            }
        }
    }

    private static IEnumerable<string> WildcardDomains(CompiledRouter router) =>
        SampleNames(router).Where(n => n.StartsWith(SampleLabel + ".", StringComparison.Ordinal)).Select(n => n.Substring(SampleLabel.Length + 1));

    private static bool SameBackend(CompiledRouter a, CompiledRouter b) =>
        a.Definition.Service == b.Definition.Service && a.Definition.Port == b.Definition.Port;

    private static bool SameStage(CompiledRouter a, CompiledRouter b) =>
        a.Definition.Protocol == b.Definition.Protocol && (a.Definition.Tls == RouterTls.None) == (b.Definition.Tls == RouterTls.None);

    private static bool HasPattern(CompiledRouter router) => Calls(router.Rule!.Expression).Any(c => c.Name is "HostRegexp" or "HostSNIRegexp");

    private static bool NamesExactly(CompiledRouter router, string name) =>
        Calls(router.Rule!.Expression).Any(c => c.Name is "Host" or "HostSNI" or "HostHeader" && c.Arguments.Any(a => string.Equals(a.TrimEnd('.'), name, StringComparison.OrdinalIgnoreCase)));

    private static IEnumerable<string> EntryPointsOf(RouteTable table)
    {
        var named = table.EntryPoints;
        return named.Count > 0 ? named : new[] { string.Empty };
    }

    internal static IEnumerable<MatcherCall> Calls(RuleExpression expression)
    {
        switch (expression)
        {
            case MatcherCall call:
                yield return call;
                break;
            case BinaryExpression binary:
                foreach (MatcherCall c in Calls(binary.Left).Concat(Calls(binary.Right)))
                {
                    yield return c;
                }

                break;
            case NotExpression not:
                foreach (MatcherCall c in Calls(not.Operand))
                {
                    yield return c;
                }

                break;
        }
    }

    /// <summary>The offset of the first '.' that is neither escaped, in a character class, nor followed by a quantifier.</summary>
    private static int UnescapedDot(string pattern)
    {
        bool inClass = false;
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\')
            {
                i++;
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
                continue;
            }

            if (c == '[')
            {
                inClass = true;
            }
            else if (c == '.' && (i + 1 >= pattern.Length || "*+?{".IndexOf(pattern[i + 1]) < 0))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Strip(string pattern) =>
        pattern.TrimStart('^').TrimEnd('$').Replace("\\.", ".", StringComparison.Ordinal).Replace("[a-z0-9-]+.", string.Empty, StringComparison.Ordinal);

    private static string ConvertTemplate(string template) =>
        RuleConverter.TemplateToV3Regexp(template, "[^.]+", anchorEnd: true) ?? template;

    private static string FixFor(string code) => code switch
    {
        RuleDiagnosticCodes.MultipleValuesUnderV3 => "Split the values into one matcher each joined by ||, or add syntax: v2 to the route (Convert-TraefikRule -From V2 -To V3 does this).",
        RuleDiagnosticCodes.V2MatcherUnderV3 => "Rewrite the rule in v3 syntax (Convert-TraefikRule -From V2 -To V3), or add syntax: v2 to the route.",
        RuleDiagnosticCodes.NonAsciiHostname => "Write the name as punycode (New-ExposedHost does this for you).",
        RuleDiagnosticCodes.HostSniWithoutTls => "Add tls (passthrough: true) to the IngressRouteTCP, or use HostSNI(`*`) for a plain port.",
        _ => "Correct the rule at the position given.",
    };

    private static RouteLintFinding Finding(LintSeverity severity, string code, CompiledRouter router, string? entryPoint, string message, string fix) =>
        new(severity, code, router.Name, entryPoint, message, fix, router.Definition.Source);
}

using System;
using System.Collections.Generic;
using ClusterExpose.Engine.Rules;

namespace ClusterExpose.Engine.Routing;

/// <summary>
/// The host names an HTTPS router registers for SNI, read the way Traefik reads them
/// (<c>muxer/http</c> <c>ParseDomains</c>): the rule is only parsed, with every HTTP matcher of
/// either syntax known, and the values of <c>Host</c> collected. So a router whose rule the HTTP
/// muxer then refuses still registers its names, and a <c>HostHeader</c> names none.
/// </summary>
internal static class SniDomains
{
    /// <summary>The lowercased Host values, or null when the rule does not parse or names a matcher no HTTP router has.</summary>
    public static IReadOnlyList<string>? Of(string rule)
    {
        if (!RuleParser.TryParse(rule, out RuleExpression? expression, out _))
        {
            return null;
        }

        var domains = new List<string>();
        return Collect(expression!, domains) ? domains : null;
    }

    /// <summary>Whether <c>HostSNI(`domain`)</c> is a route Traefik's TCP muxer accepts (v3 syntax).</summary>
    public static bool IsRegistrable(string domain) => RuleCompiler.IsHostSniValue(domain, RuleSyntax.V3);

    private static bool Collect(RuleExpression expression, List<string> into)
    {
        switch (expression)
        {
            case AndExpression and:
                return Collect(and.Left, into) && Collect(and.Right, into);
            case OrExpression or:
                return Collect(or.Left, into) && Collect(or.Right, into);
            case NotExpression not:
                return Collect(not.Operand, into);
            case MatcherCall call:
                if (MatcherCatalog.Find(call.Name, RouterProtocol.Http) is null)
                {
                    return false;
                }

                if (call.Name == "Host")
                {
                    foreach (string value in call.Arguments)
                    {
                        into.Add(value.ToLowerInvariant());
                    }
                }

                return true;
            default:
                return false;
        }
    }
}

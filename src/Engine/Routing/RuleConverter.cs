using System;
using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Rules;

namespace ClusterExpose.Engine.Routing;

/// <summary>
/// Rewrites a rule between Traefik's v2 and v3 syntaxes: multi-value matchers become || chains
/// (&& for v2's Query, which required every pair), templates become anchored Go regexps and back,
/// renamed matchers take their new names. What one syntax cannot say is an error, never a guess.
/// </summary>
public static class RuleConverter
{
    /// <summary>The diagnostic code for a valid rule the target syntax cannot express.</summary>
    public const string NotConvertibleCode = "NotConvertible";

    public static string? Convert(string rule, RuleSyntax from, RuleSyntax to, out IReadOnlyList<RuleDiagnostic> errors)
    {
        var problems = new List<RuleDiagnostic>();
        errors = problems;
        if (!RuleParser.TryParse(rule, out RuleExpression? expression, out RuleParseError? parseError))
        {
            problems.Add(new RuleDiagnostic(RuleDiagnosticCodes.RuleSyntaxError, parseError!.Message, parseError.Position));
            return null;
        }

        RouterProtocol protocol = RouteLinter.Calls(expression!).Any(c => c.Name.StartsWith("HostSNI", StringComparison.Ordinal) || c.Name == "ALPN") ? RouterProtocol.Tcp : RouterProtocol.Http;
        if (RuleCompiler.Compile(rule, from, protocol, tls: true, out IReadOnlyList<RuleDiagnostic> compileErrors) is null)
        {
            problems.AddRange(compileErrors);
            return null;
        }

        if (from == to)
        {
            return RuleWriter.Write(expression!);
        }

        RuleExpression? converted = Rewrite(expression!, to, problems);
        if (converted is null || problems.Count > 0)
        {
            return null;
        }

        string text = RuleWriter.Write(converted);
        if (RuleCompiler.Compile(text, to, protocol, tls: true, out IReadOnlyList<RuleDiagnostic> resultErrors) is null)
        {
            problems.AddRange(resultErrors);
            return null;
        }

        return text;
    }

    /// <summary>A v2 template as the equivalent anchored v3 regexp, or null when the braces do not balance.</summary>
    public static string? TemplateToV3Regexp(string template, string defaultPattern, bool anchorEnd) =>
        RuleCompiler.TemplateToRegexp(template, defaultPattern, anchorEnd, out _, out _);

    private static RuleExpression? Rewrite(RuleExpression expression, RuleSyntax to, List<RuleDiagnostic> problems)
    {
        switch (expression)
        {
            case AndExpression and:
                return Join(Rewrite(and.Left, to, problems), Rewrite(and.Right, to, problems), (l, r) => new AndExpression(l, r));
            case OrExpression or:
                return Join(Rewrite(or.Left, to, problems), Rewrite(or.Right, to, problems), (l, r) => new OrExpression(l, r));
            case NotExpression not:
                RuleExpression? operand = Rewrite(not.Operand, to, problems);
                return operand is null ? null : new NotExpression(operand);
            case MatcherCall call:
                return to == RuleSyntax.V3 ? ToV3(call, problems) : ToV2(call, problems);
            default:
                return null;
        }
    }

    private static RuleExpression? Join(RuleExpression? left, RuleExpression? right, Func<RuleExpression, RuleExpression, RuleExpression> join) =>
        left is null || right is null ? null : join(left, right);

    private static RuleExpression? ToV3(MatcherCall call, List<RuleDiagnostic> problems)
    {
        switch (call.Name)
        {
            case "HostHeader":
                return Chain(call.Arguments.Select(a => One("Host", a)), or: true);
            case "Headers":
                return Call("Header", call.Arguments[0], call.Arguments[1]);
            case "HeadersRegexp":
                return Call("HeaderRegexp", call.Arguments[0], call.Arguments[1]);
            case "HostRegexp" or "HostSNIRegexp":
                return Chain(call.Arguments.Select(a => One(call.Name, TemplateToV3Regexp(a, "[^.]+", anchorEnd: true)!)), or: true);
            case "Path" or "PathPrefix":
                return Chain(call.Arguments.Select(a => a.Contains('{', StringComparison.Ordinal)
                    ? One("PathRegexp", TemplateToV3Regexp(a, "[^/]+", anchorEnd: call.Name == "Path")!)
                    : One(call.Name, a)), or: true);
            case "Query":
                // v2's Query required every key=value pair given to it.
                return Chain(call.Arguments.Select(a => a.Contains('=', StringComparison.Ordinal)
                    ? Call("Query", a.Substring(0, a.IndexOf('=')), a.Substring(a.IndexOf('=') + 1))
                    : One("Query", a)), or: false);
            default:
                return Chain(call.Arguments.Select(a => One(call.Name, a)), or: true);
        }
    }

    private static RuleExpression? ToV2(MatcherCall call, List<RuleDiagnostic> problems)
    {
        switch (call.Name)
        {
            case "Header":
                return Call("Headers", call.Arguments[0], call.Arguments[1]);
            case "HeaderRegexp":
                return Call("HeadersRegexp", call.Arguments[0], call.Arguments[1]);
            case "Query":
                return One("Query", call.Arguments.Count == 2 ? call.Arguments[0] + "=" + call.Arguments[1] : call.Arguments[0]);
            case "HostRegexp" or "HostSNIRegexp":
                HostRuleReading reading = HostRuleReader.Read(RuleWriter.Write(call), call.Name == "HostSNIRegexp", RuleSyntax.V3);
                if (reading.Unrepresentable is not null || reading.Warnings.Count > 0 || reading.Hostnames.Count != 1)
                {
                    problems.Add(new RuleDiagnostic(NotConvertibleCode, $"`{call.Arguments[0]}` is not an anchored wildcard (one label, or any depth), the only regexps a v2 template can say exactly", call.Position));
                    return null;
                }

                return One(call.Name, HostRuleWriter.V2WildcardTemplate(reading.Hostnames[0]));
            case "PathRegexp" or "QueryRegexp" or "ALPN":
                problems.Add(new RuleDiagnostic(NotConvertibleCode, $"{call.Name} has no Traefik v2 equivalent", call.Position));
                return null;
            default:
                return call;
        }
    }

    private static MatcherCall One(string name, string value) => new(name, new[] { value }, 0);

    private static MatcherCall Call(string name, string first, string second) => new(name, new[] { first, second }, 0);

    private static RuleExpression Chain(IEnumerable<RuleExpression> parts, bool or) =>
        parts.Aggregate((left, right) => or ? new OrExpression(left, right) : new AndExpression(left, right));
}

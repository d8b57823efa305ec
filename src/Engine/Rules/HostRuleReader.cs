using System;
using System.Collections.Generic;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Rules;

/// <summary>What a rule says about host names, when it says nothing else.</summary>
public sealed class HostRuleReading
{
    public List<string> Hostnames { get; } = new();

    public List<string> Warnings { get; } = new();

    /// <summary>The syntax the rule was evidently written in, when it shows (templates, several values).</summary>
    public RuleSyntax? EvidentSyntax { get; set; }

    /// <summary>True when a wildcard was written as Host(`*.domain`) rather than as a regexp.</summary>
    public bool UsesNativeWildcards { get; set; }

    /// <summary>Why the rule cannot be read back as a list of host names, or null when it can.</summary>
    public string? Unrepresentable { get; set; }
}

/// <summary>
/// Reads a rule made only of host matchers joined by <c>||</c> back into host names: the inverse of
/// <see cref="HostRuleWriter"/>, and tolerant of the common hand-written forms of a one-label wildcard.
/// </summary>
public static class HostRuleReader
{
    private static readonly string[] OneLabelClasses =
    {
        "[a-z0-9-]+", "[a-zA-Z0-9-]+", "[A-Za-z0-9-]+", "[a-z0-9]+", "[a-z]+", "[a-zA-Z]+", "[^.]+", "[\\w-]+", "\\w+", "[a-z0-9_-]+", "[a-z0-9\\-]+",
    };

    private static readonly string[] AnyDepthClasses = { ".+", ".*", "[a-z0-9.-]+", "[a-z0-9-.]+", "[a-z0-9-\\.]+", "[a-zA-Z0-9-\\.]+" };

    /// <param name="sni">true for TCP routers (HostSNI / HostSNIRegexp), false for HTTP routers (Host / HostRegexp).</param>
    public static HostRuleReading Read(string rule, bool sni, RuleSyntax? declaredSyntax)
    {
        var reading = new HostRuleReading();
        if (!RuleParser.TryParse(rule, out RuleExpression? expression, out RuleParseError? error))
        {
            reading.Unrepresentable = "the rule does not parse: " + error;
            return reading;
        }

        Collect(expression!, sni, declaredSyntax, reading);
        return reading;
    }

    private static void Collect(RuleExpression expression, bool sni, RuleSyntax? declaredSyntax, HostRuleReading reading)
    {
        switch (expression)
        {
            case OrExpression or:
                Collect(or.Left, sni, declaredSyntax, reading);
                Collect(or.Right, sni, declaredSyntax, reading);
                return;
            case MatcherCall call:
                ReadMatcher(call, sni, declaredSyntax, reading);
                return;
            default:
                reading.Unrepresentable ??= "the rule combines matchers with && or !, which a list of host names cannot express";
                return;
        }
    }

    private static void ReadMatcher(MatcherCall call, bool sni, RuleSyntax? declaredSyntax, HostRuleReading reading)
    {
        string exact = sni ? "HostSNI" : "Host";
        string regexp = sni ? "HostSNIRegexp" : "HostRegexp";
        if (call.Arguments.Count > 1)
        {
            reading.EvidentSyntax = RuleSyntax.V2;
        }

        if (call.Name == exact || (!sni && call.Name == "HostHeader"))
        {
            foreach (string value in call.Arguments)
            {
                if (value == "*")
                {
                    reading.Unrepresentable ??= $"{call.Name}(`*`) matches every name";
                    continue;
                }

                if (HostnameNormalizer.IsAnyDepth(value))
                {
                    // Traefik 3.7 refuses it in HostSNI and matches nothing with it in Host.
                    reading.Unrepresentable ??= $"{call.Name}(`{value}`) is not a wildcard Traefik reads";
                    continue;
                }

                if (HostnameNormalizer.IsWildcard(value))
                {
                    reading.UsesNativeWildcards = true;
                }

                AddName(value, reading);
            }

            return;
        }

        if (call.Name == regexp)
        {
            foreach (string value in call.Arguments)
            {
                string? wildcard = ReadWildcardPattern(value, declaredSyntax, reading);
                if (wildcard is null)
                {
                    reading.Unrepresentable ??= $"the pattern `{value}` of {call.Name} is not a wildcard ClusterExpose can express";
                    continue;
                }

                AddName(wildcard, reading);
            }

            return;
        }

        reading.Unrepresentable ??= $"the matcher {call.Name} is not a host matcher";
    }

    private static void AddName(string value, HostRuleReading reading)
    {
        string? problem = HostnameNormalizer.TryNormalize(value, out string normalized);
        if (problem is not null)
        {
            reading.Unrepresentable ??= $"the host name '{value}' is not valid: {problem}";
            return;
        }

        if (!reading.Hostnames.Contains(normalized))
        {
            reading.Hostnames.Add(normalized);
        }
    }

    /// <summary>The wildcard a pattern says (<c>*.domain</c> for one label, <c>**.domain</c> for any depth), or null when it says anything else.</summary>
    private static string? ReadWildcardPattern(string pattern, RuleSyntax? declaredSyntax, HostRuleReading reading)
    {
        // v2 template: {name:regexp}.domain, where the dots of the domain are literal.
        if (pattern.StartsWith("{", StringComparison.Ordinal) && declaredSyntax != RuleSyntax.V3)
        {
            int close = pattern.IndexOf("}.", StringComparison.Ordinal);
            int colon = pattern.IndexOf(':');
            if (close < 0 || colon < 0 || colon > close)
            {
                return null;
            }

            reading.EvidentSyntax = RuleSyntax.V2;
            string labelPattern = pattern.Substring(colon + 1, close - colon - 1);
            string domain = pattern.Substring(close + 2);
            return ClassifyLabel(labelPattern) is { } templatePrefix ? templatePrefix + domain : null;
        }

        // v3: a Go regexp, run unanchored by Traefik.
        string body = pattern;
        bool anchoredStart = body.StartsWith("^", StringComparison.Ordinal);
        bool anchoredEnd = body.EndsWith("$", StringComparison.Ordinal) && !body.EndsWith("\\$", StringComparison.Ordinal);
        body = body.Substring(anchoredStart ? 1 : 0, body.Length - (anchoredStart ? 1 : 0) - (anchoredEnd ? 1 : 0));
        int split = body.IndexOf("\\.", StringComparison.Ordinal);
        if (split <= 0)
        {
            return null;
        }

        string label = body.Substring(0, split);
        string literal = body.Substring(split + 2);
        if (ClassifyLabel(label) is not { } prefix)
        {
            return null;
        }

        var domainBuilder = new System.Text.StringBuilder();
        for (int i = 0; i < literal.Length; i++)
        {
            char c = literal[i];
            if (c == '\\' && i + 1 < literal.Length && literal[i + 1] == '.')
            {
                domainBuilder.Append('.');
                i++;
            }
            else if (c == '.')
            {
                reading.Warnings.Add($"In `{pattern}` a dot is not escaped, so it matches any character; imported as a literal dot.");
                domainBuilder.Append('.');
            }
            else if (char.IsAsciiLetterOrDigit(c) || c == '-')
            {
                domainBuilder.Append(c);
            }
            else
            {
                return null;
            }
        }

        if (!anchoredStart || !anchoredEnd)
        {
            reading.Warnings.Add($"`{pattern}` is not anchored with ^ and $, so Traefik also matches names that merely contain it; imported as an anchored wildcard.");
        }

        return prefix + domainBuilder.ToString();
    }

    /// <summary>The wildcard prefix a label pattern stands for: one label, any depth, or neither (null).</summary>
    private static string? ClassifyLabel(string labelPattern) =>
        Array.IndexOf(OneLabelClasses, labelPattern) >= 0 ? HostnameNormalizer.WildcardPrefix
        : Array.IndexOf(AnyDepthClasses, labelPattern) >= 0 ? HostnameNormalizer.AnyDepthPrefix
        : null;
}

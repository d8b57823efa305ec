using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ClusterExpose.Engine.Rules;

namespace ClusterExpose.Engine.Routing;

/// <summary>Why Traefik would refuse a rule (and so not create the router), with a stable code and a position.</summary>
public sealed class RuleDiagnostic
{
    public RuleDiagnostic(string code, string message, int position)
    {
        Code = code;
        Message = message;
        Position = position;
    }

    public string Code { get; }

    public string Message { get; }

    /// <summary>Zero-based offset in the rule text.</summary>
    public int Position { get; }

    public override string ToString() => $"{Message} (at position {Position})";
}

/// <summary>Stable codes of <see cref="RuleDiagnostic"/>; lint findings reuse them.</summary>
public static class RuleDiagnosticCodes
{
    public const string RuleSyntaxError = "RuleSyntaxError";
    public const string UnknownMatcher = "UnknownMatcher";
    public const string V2MatcherUnderV3 = "V2MatcherUnderV3";
    public const string V3MatcherUnderV2 = "V3MatcherUnderV2";
    public const string MatcherNotForThisRouter = "MatcherNotForThisRouter";
    public const string WrongArgumentCount = "WrongArgumentCount";
    public const string MultipleValuesUnderV3 = "MultipleValuesUnderV3";
    public const string InvalidHostname = "InvalidHostname";
    public const string NonAsciiHostname = "NonAsciiHostname";
    public const string InvalidRegexp = "InvalidRegexp";
    public const string InvalidTemplate = "InvalidTemplate";
    public const string InvalidClientIP = "InvalidClientIP";
    public const string AcmeAlpnNotAllowed = "AcmeAlpnNotAllowed";
    public const string EmptyValue = "EmptyValue";
    public const string InvalidPath = "InvalidPath";
    public const string HostSniWithoutTls = "HostSniWithoutTls";
}

/// <summary>A rule Traefik would accept, compiled for evaluation.</summary>
public sealed class CompiledRule
{
    internal CompiledRule(string text, RuleSyntax syntax, RuleExpression expression, RuleNode root, bool namesHost)
    {
        Text = text;
        Syntax = syntax;
        Expression = expression;
        Root = root;
        NamesHost = namesHost;
        // Traefik's rule tree keeps negation as a flag its catch-all test does not look at.
        RuleExpression bare = expression;
        while (bare is NotExpression not)
        {
            bare = not.Operand;
        }

        IsCatchAll = bare is MatcherCall { Name: "HostSNI", Arguments.Count: 1 } call && call.Arguments[0] == "*";
    }

    public string Text { get; }

    public RuleSyntax Syntax { get; }

    public RuleExpression Expression { get; }

    public RuleNode Root { get; }

    /// <summary>True when any host or SNI matcher (exact or regexp) that can see a name appears, other than <c>HostSNI(`*`)</c>.</summary>
    public bool NamesHost { get; }

    /// <summary>
    /// Traefik's TCP catch-all: the whole rule is one <c>HostSNI(`*`)</c> (in any spelling Traefik
    /// accepts, in parentheses or not). It defaults to priority -1, and when it wins the TCP routers it
    /// is served only after an HTTPS router that names no host.
    /// </summary>
    public bool IsCatchAll { get; }

    /// <summary>Traefik's default priority: the length of the rule text (the catch-all: -1).</summary>
    public int DefaultPriority => IsCatchAll ? -1 : Text.Length;

    public Truth Evaluate(in RouteQuery query) => Root.Evaluate(query);
}

/// <summary>
/// Checks a parsed rule the way Traefik does when it builds a router (matcher names, arity per
/// syntax, values, regexps) and compiles it into <see cref="RuleNode"/>s. Never throws.
/// </summary>
public sealed class RuleCompiler
{
    // What Traefik's HostSNI accepts: a host name or address, under v3 also a one-label wildcard.
    private static readonly Regex HostSniValueV3 = new("^(\\*\\.)?[A-Za-z0-9_.:-]+$", RegexOptions.CultureInvariant);
    private static readonly Regex HostSniValueV2 = new("^[A-Za-z0-9_.:-]+$", RegexOptions.CultureInvariant);

    /// <summary>Whether <c>HostSNI(`value`)</c> is a value Traefik accepts in that syntax (<c>*</c> aside).</summary>
    internal static bool IsHostSniValue(string value, RuleSyntax syntax) =>
        (syntax == RuleSyntax.V3 ? HostSniValueV3 : HostSniValueV2).IsMatch(value);

    private readonly string text;
    private readonly RuleSyntax syntax;
    private readonly RouterProtocol protocol;
    private readonly bool tls;
    private readonly List<RuleDiagnostic> diagnostics = new();
    private bool namesHost;

    private RuleCompiler(string text, RuleSyntax syntax, RouterProtocol protocol, bool tls)
    {
        this.text = text;
        this.syntax = syntax;
        this.protocol = protocol;
        this.tls = tls;
    }

    /// <param name="tls">For TCP routers: whether the router has TLS (only HostSNI(`*`) and ClientIP work without it).</param>
    public static CompiledRule? Compile(string? rule, RuleSyntax syntax, RouterProtocol protocol, bool tls, out IReadOnlyList<RuleDiagnostic> diagnostics)
    {
        var compiler = new RuleCompiler(rule ?? string.Empty, syntax, protocol, tls);
        CompiledRule? compiled = compiler.Run();
        diagnostics = compiler.diagnostics;
        return compiled;
    }

    private CompiledRule? Run()
    {
        if (!RuleParser.TryParse(text, out RuleExpression? expression, out RuleParseError? error))
        {
            diagnostics.Add(new RuleDiagnostic(RuleDiagnosticCodes.RuleSyntaxError, error!.Message, error.Position));
            return null;
        }

        // Traefik checks only the first HostSNI value of a router without TLS; a later one is
        // accepted and, with no name to see, never matches.
        if (protocol == RouterProtocol.Tcp && !tls && FirstHostSni(expression!) is { Arguments.Count: > 0 } first && first.Arguments[0] != "*")
        {
            diagnostics.Add(new RuleDiagnostic(RuleDiagnosticCodes.HostSniWithoutTls, "a TCP router without TLS can only use HostSNI(`*`): there is no SNI to read", first.ArgumentPositions[0] + 1));
        }

        RuleNode? root = Build(expression!);
        return diagnostics.Count == 0 && root is not null
            ? new CompiledRule(text, syntax, expression!, root, namesHost)
            : null;
    }

    private RuleNode? Build(RuleExpression expression)
    {
        switch (expression)
        {
            case AndExpression and:
                return Combine(Build(and.Left), Build(and.Right), (l, r) => new AndNode(l, r));
            case OrExpression or:
                return Combine(Build(or.Left), Build(or.Right), (l, r) => new OrNode(l, r));
            case NotExpression not:
                RuleNode? operand = Build(not.Operand);
                return operand is null ? null : new NotNode(operand);
            case MatcherCall call:
                return BuildMatcher(call);
            default:
                return null;
        }
    }

    private static MatcherCall? FirstHostSni(RuleExpression expression) => expression switch
    {
        AndExpression and => FirstHostSni(and.Left) ?? FirstHostSni(and.Right),
        OrExpression or => FirstHostSni(or.Left) ?? FirstHostSni(or.Right),
        NotExpression not => FirstHostSni(not.Operand),
        MatcherCall { Name: "HostSNI" } call => call,
        _ => null,
    };

    private static RuleNode? Combine(RuleNode? left, RuleNode? right, Func<RuleNode, RuleNode, RuleNode> join) =>
        left is null || right is null ? null : join(left, right);

    private RuleNode? BuildMatcher(MatcherCall call)
    {
        MatcherInfo? info = MatcherCatalog.Find(call.Name, protocol);
        if (info is null)
        {
            MatcherInfo? elsewhere = MatcherCatalog.FindElsewhere(call.Name, protocol);
            return elsewhere is not null
                ? Fail(RuleDiagnosticCodes.MatcherNotForThisRouter, $"{call.Name} is a matcher of {elsewhere.Protocol} routers, not of {protocol} routers", call.Position)
                : Fail(RuleDiagnosticCodes.UnknownMatcher, $"unknown matcher {call.Name}" + SuggestCase(call.Name), call.Position);
        }

        if (!info.ExistsIn(syntax))
        {
            return syntax == RuleSyntax.V3
                ? Fail(RuleDiagnosticCodes.V2MatcherUnderV3, $"{call.Name} is Traefik v2 syntax and does not exist in v3" + (info.V3Replacement is null ? string.Empty : $"; use {info.V3Replacement}"), call.Position)
                : Fail(RuleDiagnosticCodes.V3MatcherUnderV2, $"{call.Name} exists only in Traefik v3 syntax", call.Position);
        }

        int min = syntax == RuleSyntax.V3 ? info.V3Min : info.V2Min;
        int max = syntax == RuleSyntax.V3 ? info.V3Max : info.V2Max;
        if (call.Arguments.Count < min || call.Arguments.Count > max)
        {
            if (syntax == RuleSyntax.V3 && call.Arguments.Count > max && info.V2Max > max)
            {
                return Fail(RuleDiagnosticCodes.MultipleValuesUnderV3, $"{call.Name} takes one value in Traefik v3; write {call.Name}(`a`) || {call.Name}(`b`)", call.Position);
            }

            string expected = min == max ? min.ToString(System.Globalization.CultureInfo.InvariantCulture) : max == MatcherInfo.Many ? $"at least {min}" : $"{min} or {max}";
            return Fail(RuleDiagnosticCodes.WrongArgumentCount, $"{call.Name} takes {expected} value(s), found {call.Arguments.Count}", call.Position);
        }

        RuleNode? node = null;
        for (int i = 0; i < call.Arguments.Count; i++)
        {
            RuleNode? valueNode = BuildValue(info, call, i);
            if (valueNode is null)
            {
                return null;
            }

            // Request matchers with several arguments (Header(key, value)) are one condition, not an OR.
            if (info.Role == MatcherRole.Request)
            {
                return valueNode;
            }

            node = node is null ? valueNode : new OrNode(node, valueNode);
        }

        return node;
    }

    private RuleNode? BuildValue(MatcherInfo info, MatcherCall call, int index)
    {
        string value = call.Arguments[index];
        int at = call.ArgumentPositions[index] + 1;
        if (value.Length == 0 && info.Role != MatcherRole.Request)
        {
            return Fail(RuleDiagnosticCodes.EmptyValue, $"{call.Name} needs a non-empty value", at);
        }

        switch (info.Role)
        {
            case MatcherRole.HostName:
                return HostNameValue(info, call, value, at);
            case MatcherRole.HostPattern:
                return PatternValue(call, value, at);
            case MatcherRole.ClientIp:
                return IPNetwork.TryParse(value, out IPNetwork network)
                    || (IPAddress.TryParse(value, out IPAddress? address) && IPNetwork.TryParse(value + (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "/32" : "/128"), out network))
                    ? new ClientIpNode(network)
                    : Fail(RuleDiagnosticCodes.InvalidClientIP, $"'{value}' is not an IP address or CIDR range", at);
            case MatcherRole.Alpn:
                return value == "acme-tls/1"
                    ? Fail(RuleDiagnosticCodes.AcmeAlpnNotAllowed, "ALPN(`acme-tls/1`) is reserved for Traefik's own TLS-ALPN-01 challenges", at)
                    : new AlpnNode(value);
            default:
                return RequestValue(call, value, at);
        }
    }

    private RuleNode? HostNameValue(MatcherInfo info, MatcherCall call, string value, int at)
    {
        bool sni = info.Protocol == RouterProtocol.Tcp;
        if (!IsAscii(value))
        {
            return Fail(RuleDiagnosticCodes.NonAsciiHostname, $"{call.Name} accepts ASCII only; write '{value}' as punycode (xn--...)", at);
        }

        if (sni)
        {
            if (value != "*" && !IsHostSniValue(value, syntax))
            {
                return Fail(RuleDiagnosticCodes.InvalidHostname, $"'{value}' is not a valid host name or IP for HostSNI"
                    + (value.StartsWith("*.", StringComparison.Ordinal) ? " (a wildcard needs Traefik v3 syntax)" : value.StartsWith("**.", StringComparison.Ordinal) ? " (Traefik has no '**.' wildcard; HostSNIRegexp matches names at any depth)" : string.Empty), at);
            }

            namesHost |= value != "*";
            return new NameNode(value, NameMatching.Sni);
        }

        namesHost = true;

        // Host compares names; under v3 `*` is any name and `*.domain` one label more. v2 compared literally.
        return new NameNode(value, syntax == RuleSyntax.V3 ? NameMatching.Host : NameMatching.Literal);
    }

    private RuleNode? PatternValue(MatcherCall call, string value, int at)
    {
        // A TCP router without TLS may use HostSNIRegexp (Traefik refuses only HostSNI there): it is
        // matched against the empty name such a connection has, so only a negation can match.
        namesHost |= protocol == RouterProtocol.Http || tls;
        string pattern = value;
        if (syntax == RuleSyntax.V2)
        {
            pattern = TemplateToRegexp(value, "[^.]+", anchorEnd: true, out string? templateError, out int templateOffset)!;
            if (templateError is not null)
            {
                return Fail(RuleDiagnosticCodes.InvalidTemplate, templateError, at + templateOffset);
            }
        }

        // v2 host templates matched case-insensitively; v3 runs the pattern as written over the lowercased name.
        Regex? regex = GoRegexp.TryCompile(pattern, ignoreCase: syntax == RuleSyntax.V2, out string? error, out int offset);
        return regex is null
            ? Fail(RuleDiagnosticCodes.InvalidRegexp, $"{call.Name}: {error}", syntax == RuleSyntax.V3 ? at + offset : at)
            : new RegexpNode(regex, sni: protocol == RouterProtocol.Tcp);
    }

    private RuleNode? RequestValue(MatcherCall call, string value, int at)
    {
        bool isPath = call.Name is "Path" or "PathPrefix";
        if (syntax == RuleSyntax.V3 && isPath && !value.StartsWith('/'))
        {
            return Fail(RuleDiagnosticCodes.InvalidPath, $"{call.Name} value '{value}' does not start with a '/'", at);
        }

        int regexpIndex = call.Name switch
        {
            "PathRegexp" => 0,
            "HeaderRegexp" or "HeadersRegexp" => 1,
            "QueryRegexp" when call.Arguments.Count == 2 => 1,
            _ => -1,
        };
        if (regexpIndex >= 0)
        {
            int regexpAt = call.ArgumentPositions[regexpIndex] + 1;
            if (GoRegexp.TryCompile(call.Arguments[regexpIndex], false, out string? error, out int offset) is null)
            {
                return Fail(RuleDiagnosticCodes.InvalidRegexp, $"{call.Name}: {error}", regexpAt + offset);
            }
        }

        if (syntax == RuleSyntax.V2 && isPath)
        {
            TemplateToRegexp(value, "[^/]+", anchorEnd: call.Name == "Path", out string? templateError, out int templateOffset);
            if (templateError is not null)
            {
                return Fail(RuleDiagnosticCodes.InvalidTemplate, templateError, at + templateOffset);
            }
        }

        var description = new StringBuilder(call.Name).Append('(');
        for (int i = 0; i < call.Arguments.Count; i++)
        {
            description.Append(i == 0 ? "`" : ", `").Append(call.Arguments[i]).Append('`');
        }

        // Every origin-form request path starts with '/', so PathPrefix(`/`) says nothing beyond the host.
        return new RequestConditionNode(description.Append(')').ToString(), alwaysTrue: call.Name == "PathPrefix" && call.Arguments.All(a => a == "/"));
    }

    /// <summary>
    /// Expands a Traefik v2 template (<c>{name}</c> or <c>{name:regexp}</c> between literal text) into an
    /// anchored Go regexp, the way v2's router did: literal text is quoted, braces inside the regexp
    /// must balance. Returns null with an error and its offset when the braces do not balance.
    /// </summary>
    public static string? TemplateToRegexp(string template, string defaultPattern, bool anchorEnd, out string? error, out int errorOffset)
    {
        var pattern = new StringBuilder("^");
        int literalStart = 0;
        int i = 0;
        error = null;
        errorOffset = 0;
        while (i < template.Length)
        {
            if (template[i] == '}')
            {
                error = "unbalanced braces in the template";
                errorOffset = i;
                return null;
            }

            if (template[i] != '{')
            {
                i++;
                continue;
            }

            pattern.Append(HostRuleWriter.EscapeGoRegexp(template.Substring(literalStart, i - literalStart)));
            int depth = 0;
            int end = i;
            for (; end < template.Length; end++)
            {
                if (template[end] == '{')
                {
                    depth++;
                }
                else if (template[end] == '}' && --depth == 0)
                {
                    break;
                }
            }

            if (end >= template.Length)
            {
                error = "unbalanced braces in the template";
                errorOffset = i;
                return null;
            }

            string inner = template.Substring(i + 1, end - i - 1);
            int colon = inner.IndexOf(':');
            string name = colon < 0 ? inner : inner.Substring(0, colon);
            string variablePattern = colon < 0 ? defaultPattern : inner.Substring(colon + 1);
            if (name.Length == 0 && colon < 0 || variablePattern.Length == 0)
            {
                error = "a template variable needs a name or a pattern";
                errorOffset = i;
                return null;
            }

            // A group only where an alternation would otherwise escape into the literal text around it.
            pattern.Append(variablePattern.Contains('|', StringComparison.Ordinal) ? "(?:" + variablePattern + ")" : variablePattern);
            i = end + 1;
            literalStart = i;
        }

        pattern.Append(HostRuleWriter.EscapeGoRegexp(template.Substring(literalStart)));
        if (anchorEnd)
        {
            pattern.Append('$');
        }

        return pattern.ToString();
    }

    private static string SuggestCase(string name)
    {
        foreach (MatcherInfo info in MatcherCatalog.Matchers)
        {
            if (string.Equals(info.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return $" (matcher names are case-sensitive: {info.Name})";
            }
        }

        return string.Empty;
    }

    private static bool IsAscii(string value)
    {
        foreach (char c in value)
        {
            if (c > 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private RuleNode? Fail(string code, string message, int position)
    {
        diagnostics.Add(new RuleDiagnostic(code, message, position));
        return null;
    }
}

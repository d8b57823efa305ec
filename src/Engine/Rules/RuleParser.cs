using System;
using System.Collections.Generic;
using System.Text;

namespace ClusterExpose.Engine.Rules;

/// <summary>
/// Parses Traefik rule text (both syntaxes share the grammar: matchers with string arguments,
/// <c>!</c> binding tightest, then <c>&amp;&amp;</c>, then <c>||</c>, and parentheses). Strings are
/// backtick raw strings or double-quoted Go string literals. Never throws: a malformed rule comes
/// back as a <see cref="RuleParseError"/> with its position.
/// </summary>
public sealed class RuleParser
{
    private readonly string text;
    private int position;
    private RuleParseError? error;

    private RuleParser(string text) => this.text = text;

    public static bool TryParse(string? rule, out RuleExpression? expression, out RuleParseError? error)
    {
        var parser = new RuleParser(rule ?? string.Empty);
        expression = parser.ParseOr();
        if (parser.error is null)
        {
            parser.SkipSpace();
            if (parser.position < parser.text.Length)
            {
                parser.Fail($"unexpected '{parser.text[parser.position]}' after a complete expression");
            }
        }

        error = parser.error;
        if (error is not null)
        {
            expression = null;
            return false;
        }

        return true;
    }

    private RuleExpression? ParseOr() =>
        ParseBinary("||", ParseAnd, (left, right) => new OrExpression(left, right));

    private RuleExpression? ParseAnd() =>
        ParseBinary("&&", ParseUnary, (left, right) => new AndExpression(left, right));

    /// <summary>A left-associative chain of <paramref name="operand"/>s joined by <paramref name="op"/>.</summary>
    private RuleExpression? ParseBinary(string op, System.Func<RuleExpression?> operand, System.Func<RuleExpression, RuleExpression, RuleExpression> combine)
    {
        RuleExpression? left = operand();
        while (left is not null && Accept(op))
        {
            RuleExpression? right = operand();
            if (right is null)
            {
                return null;
            }

            left = combine(left, right);
        }

        return left;
    }

    private RuleExpression? ParseUnary()
    {
        SkipSpace();
        if (Accept("!"))
        {
            RuleExpression? operand = ParseUnary();
            return operand is null ? null : new NotExpression(operand);
        }

        if (Accept("("))
        {
            RuleExpression? inner = ParseOr();
            if (inner is null)
            {
                return null;
            }

            if (!Accept(")"))
            {
                return Fail("expected ')'");
            }

            return inner;
        }

        return ParseMatcher();
    }

    private RuleExpression? ParseMatcher()
    {
        SkipSpace();
        int start = position;
        while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] == '_'))
        {
            position++;
        }

        if (position == start)
        {
            return Fail(position < text.Length ? $"expected a matcher name, found '{text[position]}'" : "expected a matcher name, found the end of the rule");
        }

        string name = text.Substring(start, position - start);
        if (!Accept("("))
        {
            return Fail($"expected '(' after {name}");
        }

        var arguments = new List<string>();
        var argumentPositions = new List<int>();
        SkipSpace();
        if (!Accept(")"))
        {
            while (true)
            {
                SkipSpace();
                int argumentStart = position;
                string? argument = ParseString();
                if (argument is null)
                {
                    return null;
                }

                arguments.Add(argument);
                argumentPositions.Add(argumentStart);
                if (Accept(")"))
                {
                    break;
                }

                if (!Accept(","))
                {
                    return Fail($"expected ',' or ')' in the arguments of {name}");
                }

                // Traefik v2 tolerated a trailing comma before ')'.
                if (Accept(")"))
                {
                    break;
                }
            }
        }

        return new MatcherCall(Routing.MatcherCatalog.Canonical(name), arguments, start, argumentPositions);
    }

    private string? ParseString()
    {
        SkipSpace();
        if (position >= text.Length)
        {
            Fail("expected a string, found the end of the rule");
            return null;
        }

        int start = position;
        char quote = text[position];
        if (quote == '`')
        {
            int end = text.IndexOf('`', position + 1);
            if (end < 0)
            {
                Fail("unterminated backtick string", start);
                return null;
            }

            position = end + 1;
            return text.Substring(start + 1, end - start - 1);
        }

        if (quote == '"')
        {
            var value = new StringBuilder();
            position++;
            while (position < text.Length)
            {
                char c = text[position++];
                if (c == '"')
                {
                    return value.ToString();
                }

                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }

                if (position >= text.Length)
                {
                    break;
                }

                int escapeStart = position - 1;
                char escaped = text[position++];
                string? decoded = escaped switch
                {
                    '"' => "\"",
                    '\\' => "\\",
                    'a' => "\a",
                    'b' => "\b",
                    'f' => "\f",
                    'n' => "\n",
                    'r' => "\r",
                    't' => "\t",
                    'v' => "\v",
                    'x' => DecodeCodePoint(2),
                    'u' => DecodeCodePoint(4),
                    'U' => DecodeCodePoint(8),
                    >= '0' and <= '7' => DecodeOctal(),
                    _ => null,
                };
                if (decoded is null)
                {
                    Fail($"unsupported escape '\\{escaped}' in a double-quoted string", escapeStart);
                    return null;
                }

                value.Append(decoded);
            }

            Fail("unterminated double-quoted string", start);
            return null;
        }

        Fail(quote == '\'' ? "single quotes are not accepted; use backticks or double quotes" : $"expected a string in backticks or double quotes, found '{quote}'");
        return null;
    }

    /// <summary>Go's \xhh, \uhhhh and \Uhhhhhhhh: exactly <paramref name="digits"/> hex digits after the letter.</summary>
    private string? DecodeCodePoint(int digits)
    {
        if (position + digits > text.Length
            || !int.TryParse(text.AsSpan(position, digits), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out int value)
            || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
        {
            return null;
        }

        position += digits;
        return char.ConvertFromUtf32(value);
    }

    /// <summary>Go's \ooo: exactly three octal digits, the first already consumed.</summary>
    private string? DecodeOctal()
    {
        int start = position - 1;
        if (start + 3 > text.Length)
        {
            return null;
        }

        int value = 0;
        for (int i = start; i < start + 3; i++)
        {
            if (text[i] < '0' || text[i] > '7')
            {
                return null;
            }

            value = (value * 8) + (text[i] - '0');
        }

        position = start + 3;
        return value > 255 ? null : ((char)value).ToString();
    }

    private bool Accept(string token)
    {
        SkipSpace();
        if (string.CompareOrdinal(text, position, token, 0, token.Length) == 0)
        {
            position += token.Length;
            return true;
        }

        return false;
    }

    private void SkipSpace()
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }
    }

    private RuleExpression? Fail(string message) => Fail(message, position);

    private RuleExpression? Fail(string message, int at)
    {
        error ??= new RuleParseError(message, at);
        return null;
    }
}

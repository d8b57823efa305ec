using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ClusterExpose.Engine.Routing;

/// <summary>
/// Compiles the Go (RE2) regexps Traefik v3 accepts into .NET regexes that behave the same on host
/// names. RE2 has no backtracking features, so everything Go rejects (look-around, backreferences,
/// atomic groups, \Z, unknown escapes, repeat counts above 1000) is rejected here too, with the
/// offset of the offending character; Go-only spellings ((?P&lt;name&gt;, [[:alpha:]], \Q..\E,
/// \x{..}, \pL) are rewritten. Host names are ASCII, so the Unicode reach of \w and \d, where the
/// two engines differ, never comes into play.
/// </summary>
public static class GoRegexp
{
    /// <summary>RE2's limit on {n,m}.</summary>
    public const int MaxRepeatCount = 1000;

    /// <summary>Matching is linear in RE2; .NET backtracks, so a cap keeps a hostile pattern from stalling a caller.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);

    private const string GoLetterEscapes = "afnrtvdDsSwWbBAzpPQEx";

    private static readonly Dictionary<string, string> PosixClasses = new(StringComparer.Ordinal)
    {
        ["alnum"] = "0-9A-Za-z",
        ["alpha"] = "A-Za-z",
        ["ascii"] = "\\x00-\\x7F",
        ["blank"] = "\\t ",
        ["cntrl"] = "\\x00-\\x1F\\x7F",
        ["digit"] = "0-9",
        ["graph"] = "!-~",
        ["lower"] = "a-z",
        ["print"] = " -~",
        ["punct"] = "!-/:-@\\[-`{-~",
        ["space"] = "\\t\\n\\v\\f\\r ",
        ["upper"] = "A-Z",
        ["word"] = "0-9A-Za-z_",
        ["xdigit"] = "0-9A-Fa-f",
    };

    /// <summary>Compiles <paramref name="pattern"/>; on failure returns null with a message and the zero-based offset in the pattern.</summary>
    public static Regex? TryCompile(string pattern, bool ignoreCase, out string? error, out int errorOffset)
    {
        var translation = new Translation(pattern);
        if (!translation.Run())
        {
            error = translation.Error;
            errorOffset = translation.ErrorOffset;
            return null;
        }

        try
        {
            var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
            error = null;
            errorOffset = -1;
            return new Regex(translation.Output.ToString(), options, MatchTimeout);
        }
        catch (RegexParseException exception)
        {
            error = DescribeNetError(exception.Error);
            errorOffset = translation.SourceOffset(exception.Offset);
            return null;
        }
    }

    /// <summary>RE2 rejects the same malformed patterns .NET does; Go's wording is used where it differs.</summary>
    private static string DescribeNetError(RegexParseError error) => error switch
    {
        RegexParseError.InsufficientClosingParentheses => "missing closing )",
        RegexParseError.InsufficientOpeningParentheses => "unexpected )",
        RegexParseError.UnterminatedBracket => "missing closing ]",
        RegexParseError.QuantifierAfterNothing => "missing argument to repetition operator",
        RegexParseError.NestedQuantifiersNotParenthesized => "invalid nested repetition operator",
        RegexParseError.ReversedQuantifierRange => "invalid repeat count",
        RegexParseError.ReversedCharacterRange => "invalid character class range",
        RegexParseError.UnescapedEndingBackslash => "trailing backslash at end of expression",
        _ => "invalid regexp (" + error + ")",
    };

    private sealed class Translation
    {
        private readonly string source;
        private readonly List<int> origins = new();
        private int index;

        public Translation(string source) => this.source = source;

        public StringBuilder Output { get; } = new();

        public string? Error { get; private set; }

        public int ErrorOffset { get; private set; }

        public int SourceOffset(int outputOffset)
        {
            if (origins.Count == 0)
            {
                return 0;
            }

            int clamped = Math.Clamp(outputOffset - 1, 0, origins.Count - 1);
            return origins[clamped];
        }

        public bool Run()
        {
            bool multiline = HasFlagGroupWith('m');
            bool inClass = false;
            int classStart = -1;
            while (index < source.Length && Error is null)
            {
                char c = source[index];
                if (c == '\\')
                {
                    Escape(inClass);
                    continue;
                }

                if (inClass)
                {
                    if (c == '[' && Peek(1) == ':')
                    {
                        PosixClass();
                        continue;
                    }

                    if (c == ']' && index > classStart)
                    {
                        inClass = false;
                    }

                    Emit(c.ToString(), index++);
                    continue;
                }

                switch (c)
                {
                    case '[':
                        inClass = true;
                        Emit("[", index++);
                        if (Peek(0) == '^')
                        {
                            Emit("^", index++);
                        }

                        // A ']' right after '[' or '[^' is a literal in both engines.
                        classStart = Peek(0) == ']' ? index + 1 : index;
                        break;
                    case '(':
                        Group();
                        break;
                    case '$':
                        // Go's $ is the end of the text unless (?m); .NET's also matches before a final newline.
                        Emit(multiline ? "$" : "\\z", index++);
                        break;
                    case '{':
                        RepeatCount();
                        break;
                    default:
                        Emit(c.ToString(), index++);
                        break;
                }
            }

            if (Error is null && inClass)
            {
                Fail("missing closing ]", classStart - 1);
            }

            return Error is null;
        }

        private bool HasFlagGroupWith(char flag)
        {
            int at = 0;
            while ((at = source.IndexOf("(?", at, StringComparison.Ordinal)) >= 0)
            {
                at += 2;
                for (int i = at; i < source.Length && (char.IsAsciiLetter(source[i]) || source[i] == '-'); i++)
                {
                    if (source[i] == flag)
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private void Escape(bool inClass)
        {
            int start = index;
            if (index + 1 >= source.Length)
            {
                Fail("trailing backslash at end of expression", start);
                return;
            }

            char d = source[index + 1];
            if (char.IsAsciiDigit(d))
            {
                if (d != '0' && !inClass)
                {
                    Fail($"invalid escape sequence \\{d}: Go regexps have no backreferences", start);
                    return;
                }

                // Octal: \0, \01, \012 (at most three digits).
                int end = index + 1;
                while (end < source.Length && end - index <= 3 && source[end] >= '0' && source[end] <= '7')
                {
                    end++;
                }

                int value = Convert.ToInt32(source.Substring(index + 1, end - index - 1), 8);
                Emit("\\x" + value.ToString("X2", CultureInfo.InvariantCulture), start);
                index = end;
                return;
            }

            if (char.IsAsciiLetter(d) && GoLetterEscapes.IndexOf(d) < 0)
            {
                Fail($"invalid escape sequence \\{d}", start);
                return;
            }

            switch (d)
            {
                case 'Q':
                    QuotedLiteral(inClass);
                    return;
                case 'E':
                    // A stray \E outside \Q is ignored by Go.
                    index += 2;
                    return;
                case 'x' when Peek(2) == '{':
                    HexCodePoint(start);
                    return;
                case 'p' or 'P':
                    UnicodeClass(start, d);
                    return;
                case 'v':
                    Emit("\\x0B", start);
                    index += 2;
                    return;
                case 'b' when inClass:
                    Fail("invalid escape sequence \\b inside a character class", start);
                    return;
                default:
                    Emit("\\" + d, start);
                    index += 2;
                    return;
            }
        }

        private void QuotedLiteral(bool inClass)
        {
            int start = index;
            index += 2;
            int end = source.IndexOf("\\E", index, StringComparison.Ordinal);
            string literal = end < 0 ? source.Substring(index) : source.Substring(index, end - index);
            foreach (char c in literal)
            {
                Emit(inClass ? "\\" + c : Regex.Escape(c.ToString()), start);
            }

            index = end < 0 ? source.Length : end + 2;
        }

        private void HexCodePoint(int start)
        {
            int close = source.IndexOf('}', index + 3);
            if (close < 0 || !int.TryParse(source.AsSpan(index + 3, close - index - 3), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value) || value > 0x10FFFF)
            {
                Fail("invalid escape sequence \\x{", start);
                return;
            }

            Emit(value <= 0xFFFF ? "\\u" + value.ToString("X4", CultureInfo.InvariantCulture) : Regex.Escape(char.ConvertFromUtf32(value)), start);
            index = close + 1;
        }

        private void UnicodeClass(int start, char letter)
        {
            if (Peek(2) == '{')
            {
                int close = source.IndexOf('}', index + 3);
                if (close < 0)
                {
                    Fail("invalid character class range \\" + letter + "{", start);
                    return;
                }

                string name = source.Substring(index + 3, close - index - 3);
                bool negated = name.StartsWith('^');
                Emit("\\" + (negated ^ (letter == 'P') ? 'P' : 'p') + "{" + name.TrimStart('^') + "}", start);
                index = close + 1;
                return;
            }

            if (index + 2 >= source.Length || !char.IsAsciiLetter(source[index + 2]))
            {
                Fail("invalid character class range \\" + letter, start);
                return;
            }

            Emit("\\" + letter + "{" + source[index + 2] + "}", start);
            index += 3;
        }

        private void PosixClass()
        {
            int start = index;
            int close = source.IndexOf(":]", index + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                Emit("[", index++);
                return;
            }

            string name = source.Substring(index + 2, close - index - 2);
            bool negated = name.StartsWith('^');
            if (!PosixClasses.TryGetValue(name.TrimStart('^'), out string? ranges))
            {
                Fail($"invalid character class range [:{name}:]", start);
                return;
            }

            if (negated)
            {
                // A negated POSIX class inside a bracket: subtract is not expressible in place, so use the complement of the ranges.
                Fail($"[:{name}:] (a negated POSIX class) cannot be evaluated by ClusterExpose; write the complement as [^...]", start);
                return;
            }

            Emit(ranges, start);
            index = close + 2;
        }

        private void Group()
        {
            int start = index;
            if (Peek(1) != '?')
            {
                Emit("(", index++);
                return;
            }

            string rest = source.Substring(index);
            if (rest.StartsWith("(?P<", StringComparison.Ordinal))
            {
                Emit("(?<", start);
                index += 4;
                return;
            }

            if (rest.StartsWith("(?<=", StringComparison.Ordinal) || rest.StartsWith("(?<!", StringComparison.Ordinal)
                || rest.StartsWith("(?=", StringComparison.Ordinal) || rest.StartsWith("(?!", StringComparison.Ordinal))
            {
                Fail("invalid or unsupported Perl syntax: Go regexps have no look-around", start);
                return;
            }

            if (rest.StartsWith("(?<", StringComparison.Ordinal) || rest.StartsWith("(?:", StringComparison.Ordinal))
            {
                Emit(rest.Substring(0, 3), start);
                index += 3;
                return;
            }

            // Flags: (?flags) or (?flags:re), flags from i, m, s, U with an optional '-'.
            int at = index + 2;
            while (at < source.Length && (source[at] is 'i' or 'm' or 's' or 'U' or '-'))
            {
                at++;
            }

            if (at == index + 2 || at >= source.Length || (source[at] != ')' && source[at] != ':'))
            {
                Fail("invalid or unsupported Perl syntax: (?" + (index + 2 < source.Length ? source[index + 2].ToString() : string.Empty), start);
                return;
            }

            string flags = source.Substring(index + 2, at - index - 2);
            if (flags.Contains('U'))
            {
                Fail("the U (ungreedy) flag is valid Go but ClusterExpose cannot evaluate it; write lazy quantifiers (*?, +?) instead", start);
                return;
            }

            Emit("(?" + flags + source[at], start);
            index = at + 1;
        }

        private void RepeatCount()
        {
            int start = index;
            int close = source.IndexOf('}', index);
            string body = close < 0 ? string.Empty : source.Substring(index + 1, close - index - 1);
            string[] parts = body.Split(',');
            bool isRepeat = close > 0 && parts.Length <= 2 && parts[0].Length > 0 && IsDigits(parts[0]) && (parts.Length == 1 || parts[1].Length == 0 || IsDigits(parts[1]));
            if (!isRepeat)
            {
                // Not a repetition: Go reads '{' as a literal.
                Emit("\\{", index++);
                return;
            }

            foreach (string part in parts)
            {
                if (part.Length > 0 && (part.Length > 4 || int.Parse(part, CultureInfo.InvariantCulture) > MaxRepeatCount))
                {
                    Fail($"invalid repeat count {{{body}}}: Go allows at most {MaxRepeatCount}", start);
                    return;
                }
            }

            Emit(source.Substring(index, close - index + 1), start);
            index = close + 1;
        }

        private static bool IsDigits(string text)
        {
            foreach (char c in text)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }

            return true;
        }

        private char Peek(int ahead) => index + ahead < source.Length ? source[index + ahead] : '\0';

        private void Emit(string text, int origin)
        {
            Output.Append(text);
            for (int i = 0; i < text.Length; i++)
            {
                origins.Add(origin);
            }
        }

        private void Fail(string message, int at)
        {
            Error ??= message;
            ErrorOffset = at;
        }
    }
}

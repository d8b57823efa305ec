using System;
using System.Globalization;

namespace ClusterExpose.Engine.Validation;

/// <summary>
/// The one normalisation every host name goes through, at configuration time and at match time:
/// trimmed, IDN converted to punycode (A-labels), ASCII lowercase, one trailing dot removed.
/// </summary>
public static class HostnameNormalizer
{
    public const int MaxHostnameLength = 253;
    public const int MaxLabelLength = 63;
    public const string WildcardPrefix = "*.";

    /// <summary>Every name under a domain, at any depth: <c>**.example.com</c> (the notation later Traefik releases read natively).</summary>
    public const string AnyDepthPrefix = "**.";

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    /// <summary>Normalises a name that may be an exact host, a one-label wildcard (<c>*.example.com</c>) or an any-depth one (<c>**.example.com</c>).</summary>
    /// <returns>null when the name is valid, otherwise why it is not.</returns>
    public static string? TryNormalize(string? input, out string normalized)
    {
        normalized = string.Empty;
        if (input is null)
        {
            return "a host name is required.";
        }

        string candidate = input.Trim();
        if (candidate.Length == 0)
        {
            return "a host name is required.";
        }

        string prefix = candidate.StartsWith(AnyDepthPrefix, StringComparison.Ordinal) ? AnyDepthPrefix
            : candidate.StartsWith(WildcardPrefix, StringComparison.Ordinal) ? WildcardPrefix
            : string.Empty;
        bool wildcard = prefix.Length > 0;
        string body = candidate.Substring(prefix.Length);
        if (body.IndexOf('*') >= 0)
        {
            return "a wildcard is allowed only as the whole leftmost label: '*.example.com' (one label) or '**.example.com' (any depth).";
        }

        if (body.EndsWith(".", StringComparison.Ordinal))
        {
            body = body.Substring(0, body.Length - 1);
        }

        if (body.Length == 0)
        {
            return wildcard ? $"a wildcard needs a domain after '{prefix}'." : "a host name is required.";
        }

        if (!IsAscii(body))
        {
            try
            {
                body = Idn.GetAscii(body);
            }
            catch (ArgumentException)
            {
                return "it is not a valid internationalised domain name.";
            }
        }

        body = body.ToLowerInvariant();
        string? problem = CheckRfc1123(body);
        if (problem is not null)
        {
            return problem;
        }

        normalized = prefix + body;
        if (normalized.Length > MaxHostnameLength)
        {
            return $"it is {normalized.Length} characters long; the limit is {MaxHostnameLength}.";
        }

        return null;
    }

    /// <summary>True when the host name is a wildcard: <c>*.domain</c> or <c>**.domain</c>.</summary>
    public static bool IsWildcard(string normalizedHostname) =>
        normalizedHostname.StartsWith(WildcardPrefix, StringComparison.Ordinal) || IsAnyDepth(normalizedHostname);

    /// <summary>True when the host name is <c>**.domain</c>: every name under the domain, at any depth.</summary>
    public static bool IsAnyDepth(string normalizedHostname) =>
        normalizedHostname.StartsWith(AnyDepthPrefix, StringComparison.Ordinal);

    /// <summary>The domain under a wildcard: <c>*.kl.example.top</c> and <c>**.kl.example.top</c> give <c>kl.example.top</c>.</summary>
    public static string WildcardDomain(string normalizedHostname) =>
        IsAnyDepth(normalizedHostname) ? normalizedHostname.Substring(AnyDepthPrefix.Length)
        : IsWildcard(normalizedHostname) ? normalizedHostname.Substring(WildcardPrefix.Length)
        : normalizedHostname;

    /// <summary>Whether <paramref name="name"/> (normalised, not a wildcard) is one of the names <paramref name="pattern"/> stands for.</summary>
    public static bool Covers(string pattern, string name)
    {
        if (!IsWildcard(pattern))
        {
            return pattern == name;
        }

        string domain = WildcardDomain(pattern);
        if (name.Length <= domain.Length + 1 || !name.EndsWith("." + domain, StringComparison.Ordinal))
        {
            return false;
        }

        return IsAnyDepth(pattern) || name.IndexOf('.') == name.Length - domain.Length - 1;
    }

    private static string? CheckRfc1123(string name)
    {
        string[] labels = name.Split('.');
        foreach (string label in labels)
        {
            if (label.Length == 0)
            {
                return "it has an empty label (two dots in a row, or a leading dot).";
            }

            if (label.Length > MaxLabelLength)
            {
                return $"the label '{label}' is {label.Length} characters long; a label may have at most {MaxLabelLength}.";
            }

            foreach (char c in label)
            {
                if (!(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c == '-'))
                {
                    return $"the character '{c}' is not allowed; use letters, digits, '-' and '.'.";
                }
            }

            if (label[0] == '-' || label[label.Length - 1] == '-')
            {
                return $"the label '{label}' starts or ends with '-'.";
            }
        }

        // A numeric top-level label means an IP literal (or nonsense); SNI never carries IP addresses.
        string last = labels[labels.Length - 1];
        bool allDigits = true;
        foreach (char c in last)
        {
            allDigits &= c is >= '0' and <= '9';
        }

        return allDigits ? "it looks like an IP address; routing by name needs a DNS name." : null;
    }

    private static bool IsAscii(string s)
    {
        foreach (char c in s)
        {
            if (c > 0x7f)
            {
                return false;
            }
        }

        return true;
    }
}

using System;
using System.Text;

namespace ClusterExpose.Engine.Proxy;

/// <summary>What the bytes read so far from an HTTP port amount to.</summary>
public enum HttpHeadStatus
{
    Incomplete,
    Complete,
    /// <summary>Not a well-formed HTTP/1.x request head: answer 400.</summary>
    Malformed,
    /// <summary>The head is larger than the cap: answer 400.</summary>
    TooLarge,
    /// <summary>No Host header and no absolute-form target: nothing to route on. 400.</summary>
    MissingHost,
    /// <summary>Two Host headers: ambiguous, a classic smuggling vector. 400.</summary>
    DuplicateHost,
    /// <summary>The HTTP/2 prior-knowledge preface: no Host to read before the frames.</summary>
    Http2Preface,
}

/// <summary>The parts of a request head routing needs.</summary>
public sealed class HttpRequestHead
{
    internal HttpRequestHead(string method, string host, bool hostHadTrailingDot, bool hostUnroutable, int headLength)
    {
        Method = method;
        Host = host;
        HostHadTrailingDot = hostHadTrailingDot;
        HostUnroutable = hostUnroutable;
        HeadLength = headLength;
    }

    public string Method { get; }

    /// <summary>The host to route on, lowercase, port and one trailing dot removed; taken from an absolute-form target when there is one.</summary>
    public string Host { get; }

    /// <summary>The Host ended with a dot: Host matchers ignore it, HostRegexp sees it.</summary>
    public bool HostHadTrailingDot { get; }

    /// <summary>True when the host holds bytes no route may match.</summary>
    public bool HostUnroutable { get; }

    /// <summary>Bytes up to and including the blank line.</summary>
    public int HeadLength { get; }
}

/// <summary>
/// Reads an HTTP/1.x request head from the bytes read so far, strictly: CRLF line ends, no
/// whitespace before a header's colon, no folded lines, exactly one Host. Returns a status, never
/// throws, and never looks past the cap.
/// </summary>
public static class HttpRequestHeadParser
{
    public const int DefaultMaxHeadBytes = 16 * 1024;

    private static ReadOnlySpan<byte> Http2Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    public static HttpHeadStatus Parse(ReadOnlySpan<byte> data, int maxHeadBytes, out HttpRequestHead? head)
    {
        head = null;
        int prefix = Math.Min(data.Length, Http2Preface.Length);
        if (prefix > 0 && data.Slice(0, prefix).SequenceEqual(Http2Preface.Slice(0, prefix)))
        {
            return prefix == Http2Preface.Length ? HttpHeadStatus.Http2Preface : HttpHeadStatus.Incomplete;
        }

        ReadOnlySpan<byte> window = data.Slice(0, Math.Min(data.Length, maxHeadBytes));
        int end = window.IndexOf(HeadEnd);
        if (end < 0)
        {
            if (data.Length >= maxHeadBytes)
            {
                return HttpHeadStatus.TooLarge;
            }

            // Reject what can never become a request early, rather than waiting for the deadline.
            int firstLineEnd = window.IndexOf("\r\n"u8);
            bool plausible = firstLineEnd >= 0
                ? ParseRequestLine(window.Slice(0, firstLineEnd), out _, out _, out _)
                : LooksLikeRequestStart(window);
            return plausible ? HttpHeadStatus.Incomplete : HttpHeadStatus.Malformed;
        }

        ReadOnlySpan<byte> lines = window.Slice(0, end + 2);
        int lineEnd = lines.IndexOf("\r\n"u8);
        if (!ParseRequestLine(lines.Slice(0, lineEnd), out string method, out ReadOnlySpan<byte> target, out bool http10))
        {
            return HttpHeadStatus.Malformed;
        }

        ReadOnlySpan<byte> hostValue = default;
        int hostCount = 0;
        ReadOnlySpan<byte> rest = lines.Slice(lineEnd + 2);
        while (!rest.IsEmpty)
        {
            int next = rest.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> line = rest.Slice(0, next);
            rest = rest.Slice(next + 2);
            if (!ParseHeader(line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value))
            {
                return HttpHeadStatus.Malformed;
            }

            if (Ascii.EqualsIgnoreCase(name, "host"u8))
            {
                hostCount++;
                hostValue = value;
            }
        }

        if (hostCount > 1)
        {
            return HttpHeadStatus.DuplicateHost;
        }

        // RFC 9112 3.2.2: an absolute-form target decides the host, whatever the Host header says.
        ReadOnlySpan<byte> authority = AuthorityOf(target);
        if (authority.IsEmpty)
        {
            if (hostCount == 0)
            {
                return HttpHeadStatus.MissingHost;
            }

            authority = hostValue;
        }
        else if (hostCount == 0 && !http10)
        {
            return HttpHeadStatus.MissingHost;
        }

        if (!StripPort(authority, out ReadOnlySpan<byte> host) || host.IsEmpty)
        {
            return HttpHeadStatus.Malformed;
        }

        string normalized = ClientHelloParser.NormalizeName(host, out bool unroutable);
        head = new HttpRequestHead(method, normalized, host.Length > 1 && host[^1] == (byte)'.', unroutable, end + 4);
        return HttpHeadStatus.Complete;
    }

    private static bool LooksLikeRequestStart(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            if (b == ' ' || b == '\r')
            {
                return true;
            }

            if (!IsTokenChar(b))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ParseRequestLine(ReadOnlySpan<byte> line, out string method, out ReadOnlySpan<byte> target, out bool http10)
    {
        method = string.Empty;
        target = default;
        http10 = false;
        int firstSpace = line.IndexOf((byte)' ');
        if (firstSpace <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> methodBytes = line.Slice(0, firstSpace);
        foreach (byte b in methodBytes)
        {
            if (!IsTokenChar(b))
            {
                return false;
            }
        }

        ReadOnlySpan<byte> rest = line.Slice(firstSpace + 1);
        int secondSpace = rest.IndexOf((byte)' ');
        if (secondSpace <= 0)
        {
            return false;
        }

        target = rest.Slice(0, secondSpace);
        ReadOnlySpan<byte> version = rest.Slice(secondSpace + 1);
        foreach (byte b in target)
        {
            if (b <= 0x20 || b == 0x7F)
            {
                return false;
            }
        }

        if (version.SequenceEqual("HTTP/1.0"u8))
        {
            http10 = true;
        }
        else if (!version.SequenceEqual("HTTP/1.1"u8))
        {
            return false;
        }

        method = Encoding.ASCII.GetString(methodBytes);
        return true;
    }

    private static bool ParseHeader(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        name = default;
        value = default;
        int colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return false;
        }

        name = line.Slice(0, colon);
        foreach (byte b in name)
        {
            // Also refuses whitespace before the colon and folded continuation lines.
            if (!IsTokenChar(b))
            {
                return false;
            }
        }

        value = line.Slice(colon + 1).Trim((byte)' ').Trim((byte)'\t');
        foreach (byte b in value)
        {
            if ((b < 0x20 && b != '\t') || b == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The authority of an absolute-form target (scheme://authority/...), or empty for origin-form.</summary>
    private static ReadOnlySpan<byte> AuthorityOf(ReadOnlySpan<byte> target)
    {
        int scheme = target.IndexOf("://"u8);
        if (scheme <= 0 || target[0] == '/')
        {
            return default;
        }

        ReadOnlySpan<byte> afterScheme = target.Slice(scheme + 3);
        int end = afterScheme.IndexOfAny("/?#"u8);
        ReadOnlySpan<byte> authority = end < 0 ? afterScheme : afterScheme.Slice(0, end);
        int at = authority.LastIndexOf((byte)'@');
        return at < 0 ? authority : authority.Slice(at + 1);
    }

    /// <summary>host, host:port, [v6] or [v6]:port; the port, when present, must be digits.</summary>
    private static bool StripPort(ReadOnlySpan<byte> authority, out ReadOnlySpan<byte> host)
    {
        host = authority;
        if (!authority.IsEmpty && authority[0] == '[')
        {
            int close = authority.IndexOf((byte)']');
            if (close < 0)
            {
                return false;
            }

            host = authority.Slice(1, close - 1);
            return close == authority.Length - 1 || (authority[close + 1] == ':' && IsPort(authority.Slice(close + 2)));
        }

        int colon = authority.LastIndexOf((byte)':');
        if (colon < 0)
        {
            return true;
        }

        host = authority.Slice(0, colon);
        return IsPort(authority.Slice(colon + 1)) && host.IndexOf((byte)':') < 0;
    }

    private static bool IsPort(ReadOnlySpan<byte> digits)
    {
        if (digits.IsEmpty || digits.Length > 5)
        {
            return false;
        }

        foreach (byte b in digits)
        {
            if (b < '0' || b > '9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 9110 tchar.</summary>
    private static bool IsTokenChar(byte b) =>
        (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || "!#$%&'*+-.^_`|~"u8.Contains(b);
}

using System;
using System.Net;
using System.Text;
using ClusterExpose.Engine.Routing;

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
    /// <summary>Both Content-Length and Transfer-Encoding: two readers could end the body in different places (RFC 9112 6.1). 400.</summary>
    AmbiguousLength,
    /// <summary>A Content-Length that is not one non-negative number, or two that differ. 400.</summary>
    BadContentLength,
    /// <summary>A Transfer-Encoding whose last coding is not chunked, chunked twice, or any in HTTP/1.0: the body's end cannot be found. 400.</summary>
    BadTransferEncoding,
}

/// <summary>How the end of a message body is found (RFC 9112 6.3).</summary>
public enum BodyFraming
{
    /// <summary>No body.</summary>
    None,
    /// <summary>Exactly Content-Length bytes.</summary>
    Length,
    /// <summary>The chunked transfer coding, up to the last chunk and its trailer section.</summary>
    Chunked,
    /// <summary>Everything until the sender closes (responses only).</summary>
    UntilClose,
}

/// <summary>The parts of a request head routing needs.</summary>
public sealed class HttpRequestHead
{
    internal HttpRequestHead(string method, int targetLength, string host, bool hostHadTrailingDot, bool hostUnroutable, int headLength, in MessageFacts facts, bool http10)
    {
        Method = method;
        TargetLength = targetLength;
        Host = host;
        HostHadTrailingDot = hostHadTrailingDot;
        HostUnroutable = hostUnroutable;
        HeadLength = headLength;
        Framing = facts.Chunked ? BodyFraming.Chunked : facts.ContentLength > 0 ? BodyFraming.Length : BodyFraming.None;
        ContentLength = facts.ContentLength > 0 ? facts.ContentLength : 0;
        ExpectContinue = facts.ExpectContinue;
        KeepAlive = http10 ? facts.KeepAliveToken && !facts.CloseToken : !facts.CloseToken;
        Upgrade = facts.UpgradeHeader && facts.UpgradeToken;
    }

    public string Method { get; }

    /// <summary>Where the request target is in the head (after the method and one space), for the access log; read only when logged.</summary>
    public int TargetStart => Method.Length + 1;

    public int TargetLength { get; }

    /// <summary>The host to route on, lowercase, port and one trailing dot removed; taken from an absolute-form target when there is one.</summary>
    public string Host { get; }

    /// <summary>The Host ended with a dot: Host matchers ignore it, HostRegexp sees it.</summary>
    public bool HostHadTrailingDot { get; }

    /// <summary>True when the host holds bytes no route may match.</summary>
    public bool HostUnroutable { get; }

    /// <summary>Bytes up to and including the blank line.</summary>
    public int HeadLength { get; }

    /// <summary>How the request's body ends: none, Content-Length bytes, or chunked.</summary>
    public BodyFraming Framing { get; }

    /// <summary>The body's length when <see cref="Framing"/> is Length.</summary>
    public long ContentLength { get; }

    /// <summary>The client waits for 100 Continue (or its own timeout) before sending the body.</summary>
    public bool ExpectContinue { get; }

    /// <summary>The client means to send another request on this connection (HTTP/1.1 without close; HTTP/1.0 with keep-alive).</summary>
    public bool KeepAlive { get; }

    /// <summary>An Upgrade header with "upgrade" in Connection: a 101 answer makes the connection a tunnel.</summary>
    public bool Upgrade { get; }

    /// <summary>A HEAD request: its response has no body whatever its headers say.</summary>
    public bool IsHead => Method == "HEAD";

    /// <summary>A CONNECT request: a 2xx answer makes the connection a tunnel.</summary>
    public bool IsConnect => Method == "CONNECT";

    /// <summary>What a router sees of this request: its host as the client sent it.</summary>
    internal RouteQuery ToQuery(IPAddress? client) => HostUnroutable
        ? RouteQuery.WithUnroutableName(client, Array.Empty<string>())
        : RouteQuery.FromConnection(HostHadTrailingDot ? Host + "." : Host, tls: false, client, Array.Empty<string>());
}

/// <summary>What the headers of one message say about its framing and its connection.</summary>
internal struct MessageFacts
{
    /// <summary>-1 while no Content-Length was seen.</summary>
    public long ContentLength;
    public bool Chunked;
    public bool TransferEncoding;
    public int ChunkedCount;
    public bool LastCodingChunked;
    public bool ExpectContinue;
    public bool CloseToken;
    public bool KeepAliveToken;
    public bool UpgradeToken;
    public bool UpgradeHeader;

    public static MessageFacts Empty => new() { ContentLength = -1 };

    /// <summary>
    /// Takes in one header. False when it makes the framing unreadable: a Content-Length that is not
    /// digits (a list included: RFC 9112 lets a recipient refuse one) or differs from an earlier one.
    /// </summary>
    public bool Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
        {
            long length = ParseLength(value);
            if (length < 0 || (ContentLength >= 0 && ContentLength != length))
            {
                return false;
            }

            ContentLength = length;
        }
        else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
        {
            TransferEncoding = true;
            ReadOnlySpan<byte> rest = value;
            while (NextToken(ref rest, out ReadOnlySpan<byte> coding))
            {
                if (coding.IsEmpty)
                {
                    continue;
                }

                LastCodingChunked = Ascii.EqualsIgnoreCase(coding, "chunked"u8);
                if (LastCodingChunked)
                {
                    ChunkedCount++;
                }
            }
        }
        else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
        {
            ReadOnlySpan<byte> rest = value;
            while (NextToken(ref rest, out ReadOnlySpan<byte> option))
            {
                CloseToken |= Ascii.EqualsIgnoreCase(option, "close"u8);
                KeepAliveToken |= Ascii.EqualsIgnoreCase(option, "keep-alive"u8);
                UpgradeToken |= Ascii.EqualsIgnoreCase(option, "upgrade"u8);
            }
        }
        else if (Ascii.EqualsIgnoreCase(name, "upgrade"u8))
        {
            UpgradeHeader = true;
        }
        else if (Ascii.EqualsIgnoreCase(name, "expect"u8))
        {
            ExpectContinue |= Ascii.EqualsIgnoreCase(value, "100-continue"u8);
        }

        return true;
    }

    /// <summary>1*DIGIT, at most 18 digits (no overflow); -1 otherwise.</summary>
    public static long ParseLength(ReadOnlySpan<byte> digits)
    {
        if (digits.IsEmpty || digits.Length > 18)
        {
            return -1;
        }

        long value = 0;
        foreach (byte b in digits)
        {
            if (b < '0' || b > '9')
            {
                return -1;
            }

            value = (value * 10) + (b - '0');
        }

        return value;
    }

    /// <summary>Takes the next comma-separated element of a list value, trimmed of spaces and tabs; false at the end.</summary>
    private static bool NextToken(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> token)
    {
        if (rest.IsEmpty)
        {
            token = default;
            return false;
        }

        int comma = rest.IndexOf((byte)',');
        token = (comma < 0 ? rest : rest.Slice(0, comma)).Trim(" \t"u8);
        rest = comma < 0 ? default : rest.Slice(comma + 1);
        return true;
    }
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
        MessageFacts facts = MessageFacts.Empty;
        ReadOnlySpan<byte> rest = lines.Slice(lineEnd + 2);
        while (!rest.IsEmpty)
        {
            if (!NextHeader(rest, out int length, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value))
            {
                return HttpHeadStatus.Malformed;
            }

            rest = rest.Slice(length);
            if (Ascii.EqualsIgnoreCase(name, "host"u8))
            {
                hostCount++;
                hostValue = value;
            }
            else if (!facts.Add(name, value))
            {
                return HttpHeadStatus.BadContentLength;
            }
        }

        if (hostCount > 1)
        {
            return HttpHeadStatus.DuplicateHost;
        }

        // RFC 9112 6.1 and 6.3: a request whose body's end two readers could find in different places is refused, never guessed.
        if (facts.TransferEncoding)
        {
            if (facts.ContentLength >= 0)
            {
                return HttpHeadStatus.AmbiguousLength;
            }

            if (http10 || !facts.LastCodingChunked || facts.ChunkedCount != 1)
            {
                return HttpHeadStatus.BadTransferEncoding;
            }

            facts.Chunked = true;
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
        head = new HttpRequestHead(method, target.Length, normalized, host.Length > 1 && host[^1] == (byte)'.', unroutable, end + 4, facts, http10);
        return HttpHeadStatus.Complete;
    }

    /// <summary>The common methods as constants, so that routing a request allocates no string for them.</summary>
    private static string? KnownMethod(ReadOnlySpan<byte> method) => method.Length switch
    {
        3 when method.SequenceEqual("GET"u8) => "GET",
        3 when method.SequenceEqual("PUT"u8) => "PUT",
        4 when method.SequenceEqual("POST"u8) => "POST",
        4 when method.SequenceEqual("HEAD"u8) => "HEAD",
        6 when method.SequenceEqual("DELETE"u8) => "DELETE",
        7 when method.SequenceEqual("OPTIONS"u8) => "OPTIONS",
        7 when method.SequenceEqual("CONNECT"u8) => "CONNECT",
        _ => null,
    };

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

        method = KnownMethod(methodBytes) ?? Encoding.ASCII.GetString(methodBytes);
        return true;
    }

    /// <summary>Reads the first header line of <paramref name="lines"/> (each ending in CRLF) and says how long it was; false when it is not a well-formed field.</summary>
    internal static bool NextHeader(ReadOnlySpan<byte> lines, out int length, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        int end = lines.IndexOf("\r\n"u8);
        length = end + 2;
        return ParseHeader(lines.Slice(0, end), out name, out value);
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
    internal static bool IsTokenChar(byte b) =>
        (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || "!#$%&'*+-.^_`|~"u8.Contains(b);
}

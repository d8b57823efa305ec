using System;

namespace ClusterExpose.Engine.Proxy;

/// <summary>What the bytes read so far from a backend amount to.</summary>
public enum HttpResponseStatus
{
    Incomplete,
    Complete,
    /// <summary>Not an HTTP/1.x status line and headers, or a framing no reader can follow: the client gets 502.</summary>
    Malformed,
    /// <summary>The head is larger than the cap: 502.</summary>
    TooLarge,
}

/// <summary>The parts of a response head the proxy needs to find where the response ends.</summary>
public readonly struct HttpResponseHead
{
    public HttpResponseHead(int statusCode, int headLength, BodyFraming framing, long contentLength, bool keepAlive)
    {
        StatusCode = statusCode;
        HeadLength = headLength;
        Framing = framing;
        ContentLength = contentLength;
        KeepAlive = keepAlive;
    }

    public int StatusCode { get; }

    /// <summary>Bytes up to and including the blank line.</summary>
    public int HeadLength { get; }

    /// <summary>How the body ends, before the request's method and the status are taken into account (see <see cref="BodyFor"/>).</summary>
    public BodyFraming Framing { get; }

    public long ContentLength { get; }

    /// <summary>The backend keeps the connection open after this response (and the client was told the same, since heads pass untouched).</summary>
    public bool KeepAlive { get; }

    /// <summary>An interim response (1xx other than 101): the final one follows on the same connection.</summary>
    public bool Interim => StatusCode is >= 100 and < 200 and not 101;

    /// <summary>
    /// How this response's body ends for the request it answers (RFC 9112 6.3): none for HEAD, 1xx,
    /// 204 and 304 whatever the headers say; otherwise what the headers say.
    /// </summary>
    public BodyFraming BodyFor(HttpRequestHead request) =>
        request.IsHead || StatusCode is < 200 or 204 or 304 ? BodyFraming.None
        : Framing == BodyFraming.Length && ContentLength == 0 ? BodyFraming.None
        : Framing;
}

/// <summary>
/// Reads a backend's response head. Backends are the user's own servers, so it is lenient where
/// that is safe (any reason phrase) and strict where framing is decided: two Content-Lengths that
/// differ, or a Content-Length that is not a number, cannot be followed and are refused. Returns a
/// status, never throws, never looks past the cap.
/// </summary>
public static class HttpResponseHeadParser
{
    public static HttpResponseStatus Parse(ReadOnlySpan<byte> data, int maxHeadBytes, out HttpResponseHead head)
    {
        head = default;
        ReadOnlySpan<byte> window = data.Slice(0, Math.Min(data.Length, maxHeadBytes));
        int end = window.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            if (data.Length >= maxHeadBytes)
            {
                return HttpResponseStatus.TooLarge;
            }

            int known = Math.Min(window.Length, 5);
            return window.Slice(0, known).SequenceEqual("HTTP/"u8.Slice(0, known)) ? HttpResponseStatus.Incomplete : HttpResponseStatus.Malformed;
        }

        ReadOnlySpan<byte> lines = window.Slice(0, end + 2);
        int lineEnd = lines.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> statusLine = lines.Slice(0, lineEnd);

        // HTTP/1.x SP 3DIGIT [SP reason]
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || (statusLine[7] != '0' && statusLine[7] != '1') || statusLine[8] != ' '
            || !IsDigit(statusLine[9]) || !IsDigit(statusLine[10]) || !IsDigit(statusLine[11]) || (statusLine.Length > 12 && statusLine[12] != ' '))
        {
            return HttpResponseStatus.Malformed;
        }

        bool http10 = statusLine[7] == '0';
        int status = ((statusLine[9] - '0') * 100) + ((statusLine[10] - '0') * 10) + (statusLine[11] - '0');
        MessageFacts facts = MessageFacts.Empty;
        ReadOnlySpan<byte> rest = lines.Slice(lineEnd + 2);
        while (!rest.IsEmpty)
        {
            if (!HttpRequestHeadParser.NextHeader(rest, out int lineLength, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value) || !facts.Add(name, value))
            {
                return HttpResponseStatus.Malformed;
            }

            rest = rest.Slice(lineLength);
        }

        bool keepAlive = http10 ? facts.KeepAliveToken && !facts.CloseToken : !facts.CloseToken;
        BodyFraming framing;
        long length = 0;
        if (facts.TransferEncoding)
        {
            // RFC 9112 6.3: Transfer-Encoding overrides Content-Length, and such a message ends the
            // connection; a last coding other than chunked (or HTTP/1.0) runs until the close.
            framing = facts.LastCodingChunked && facts.ChunkedCount == 1 && !http10 ? BodyFraming.Chunked : BodyFraming.UntilClose;
            keepAlive &= framing == BodyFraming.Chunked && facts.ContentLength < 0;
        }
        else if (facts.ContentLength >= 0)
        {
            framing = BodyFraming.Length;
            length = facts.ContentLength;
        }
        else
        {
            framing = BodyFraming.UntilClose;
        }

        if (framing == BodyFraming.UntilClose && status is >= 200 and not 204 and not 304)
        {
            keepAlive = false;
        }

        head = new HttpResponseHead(status, end + 4, framing, length, keepAlive);
        return HttpResponseStatus.Complete;
    }

    private static bool IsDigit(byte b) => b >= '0' && b <= '9';
}

/// <summary>Where a chunked body stands after the bytes given so far.</summary>
public enum ChunkedStatus
{
    NeedMore,
    /// <summary>The last chunk and the trailer section are through; bytes after them belong to the next message.</summary>
    Done,
    /// <summary>A chunk size, line end or trailer that does not follow RFC 9112 7.1: the message cannot be delimited.</summary>
    Malformed,
}

/// <summary>
/// Follows a chunked body as it passes through, without changing or keeping it: chunk sizes (hex,
/// with extensions), data, CRLFs, and the trailer section. It only finds the end; the bytes go on
/// untouched. Extensions and trailers are capped, so a sender cannot make it read a line forever.
/// </summary>
public struct ChunkedScanner
{
    public const int MaxLineBytes = 4096;
    public const int MaxTrailerBytes = 16 * 1024;

    private State state;
    private long remaining;
    private int digits;
    private int lineBytes;
    private int trailerBytes;

    private enum State
    {
        Size,
        SizeSpace,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,
        Trailer,
        TrailerLf,
        FinalLf,
        Done,
        Malformed,
    }

    /// <summary>Reads on through <paramref name="data"/>; <paramref name="consumed"/> is how much of it belongs to the body.</summary>
    public ChunkedStatus Advance(ReadOnlySpan<byte> data, out int consumed)
    {
        int i = 0;
        while (i < data.Length && state is not (State.Done or State.Malformed))
        {
            if (state == State.Data)
            {
                int take = (int)Math.Min(remaining, data.Length - i);
                i += take;
                remaining -= take;
                if (remaining == 0)
                {
                    state = State.DataCr;
                }

                continue;
            }

            state = Step(data[i++]);
        }

        consumed = i;
        return state switch
        {
            State.Done => ChunkedStatus.Done,
            State.Malformed => ChunkedStatus.Malformed,
            _ => ChunkedStatus.NeedMore,
        };
    }

    private State Step(byte b)
    {
        switch (state)
        {
            case State.Size:
                int hex = HexValue(b);
                if (hex >= 0)
                {
                    // Fifteen hex digits is far past any real chunk and cannot overflow a long.
                    if (++digits > 15)
                    {
                        return State.Malformed;
                    }

                    remaining = (remaining << 4) | (uint)hex;
                    return State.Size;
                }

                if (digits == 0)
                {
                    return State.Malformed;
                }

                return b switch
                {
                    (byte)';' => StartLine(State.Extension),
                    (byte)' ' or (byte)'\t' => State.SizeSpace,
                    (byte)'\r' => State.SizeLf,
                    _ => State.Malformed,
                };
            case State.SizeSpace:
                // BWS is allowed only before an extension.
                return b switch
                {
                    (byte)' ' or (byte)'\t' => State.SizeSpace,
                    (byte)';' => StartLine(State.Extension),
                    _ => State.Malformed,
                };
            case State.Extension:
                if (b == '\r')
                {
                    return State.SizeLf;
                }

                return IsFieldByte(b) && ++lineBytes <= MaxLineBytes ? State.Extension : State.Malformed;
            case State.SizeLf:
                if (b != '\n')
                {
                    return State.Malformed;
                }

                digits = 0;
                return remaining == 0 ? State.TrailerStart : State.Data;
            case State.DataCr:
                return b == '\r' ? State.DataLf : State.Malformed;
            case State.DataLf:
                return b == '\n' ? State.Size : State.Malformed;
            case State.TrailerStart:
                if (b == '\r')
                {
                    return State.FinalLf;
                }

                return IsFieldByte(b) && b != ' ' && b != '\t' && ++trailerBytes <= MaxTrailerBytes ? State.Trailer : State.Malformed;
            case State.Trailer:
                if (b == '\r')
                {
                    return State.TrailerLf;
                }

                return IsFieldByte(b) && ++trailerBytes <= MaxTrailerBytes ? State.Trailer : State.Malformed;
            case State.TrailerLf:
                return b == '\n' ? State.TrailerStart : State.Malformed;
            case State.FinalLf:
                return b == '\n' ? State.Done : State.Malformed;
            default:
                return State.Malformed;
        }
    }

    private State StartLine(State next)
    {
        lineBytes = 0;
        return next;
    }

    /// <summary>Visible bytes, space, tab and obs-text; never a bare CR or LF or another control byte.</summary>
    private static bool IsFieldByte(byte b) => b == '\t' || (b >= 0x20 && b != 0x7F);

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}

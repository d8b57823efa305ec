using System;
using System.Text;
using ClusterExpose.Engine.Proxy;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>The response head parser and the chunked scanner, on bytes as they arrive in any split.</summary>
public sealed class HttpFramingTests
{
    private const string GetHead = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    private static HttpRequestHead Request(string head)
    {
        Assert.Equal(HttpHeadStatus.Complete, HttpRequestHeadParser.Parse(Encoding.Latin1.GetBytes(head), 16384, out HttpRequestHead? parsed));
        return parsed!;
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", GetHead, 200, BodyFraming.Length, 5L, true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", GetHead, 200, BodyFraming.Chunked, 0L, true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n", GetHead, 200, BodyFraming.UntilClose, 0L, false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", GetHead, 200, BodyFraming.Length, 5L, false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", GetHead, 200, BodyFraming.Length, 5L, false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n", GetHead, 200, BodyFraming.Length, 5L, true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", 200, BodyFraming.None, 5000L, true)]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", GetHead, 204, BodyFraming.None, 0L, true)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", GetHead, 304, BodyFraming.None, 99L, true)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n", GetHead, 100, BodyFraming.None, 0L, true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", GetHead, 200, BodyFraming.Chunked, 0L, false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", GetHead, 200, BodyFraming.UntilClose, 0L, false)]
    [InlineData("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", GetHead, 200, BodyFraming.None, 0L, true)]
    public void ReadsWhereAResponseEnds(string response, string request, int status, BodyFraming framing, long length, bool keepAlive)
    {
        Assert.Equal(HttpResponseStatus.Complete, HttpResponseHeadParser.Parse(Encoding.Latin1.GetBytes(response + "body!"), 65536, out HttpResponseHead head));
        Assert.Equal(status, head.StatusCode);
        Assert.Equal(response.Length, head.HeadLength);
        Assert.Equal(framing, head.BodyFor(Request(request)));
        Assert.Equal(length, head.ContentLength);
        Assert.Equal(keepAlive, head.KeepAlive);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", HttpResponseStatus.Malformed)]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n", HttpResponseStatus.Malformed)]
    [InlineData("HTTP/2.0 200 OK\r\n\r\n", HttpResponseStatus.Malformed)]
    [InlineData("SSH-2.0-x\r\n", HttpResponseStatus.Malformed)]
    [InlineData("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", HttpResponseStatus.Malformed)]
    [InlineData("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", HttpResponseStatus.Malformed)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Len", HttpResponseStatus.Incomplete)]
    [InlineData("HTT", HttpResponseStatus.Incomplete)]
    public void RefusesWhatCannotBeARresponse(string response, HttpResponseStatus expected)
    {
        Assert.Equal(expected, HttpResponseHeadParser.Parse(Encoding.Latin1.GetBytes(response), 65536, out _));
    }

    [Fact]
    public void AResponseHeadOverTheCapIsTooLarge()
    {
        byte[] head = Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nX-Big: " + new string('a', 5000));
        Assert.Equal(HttpResponseStatus.TooLarge, HttpResponseHeadParser.Parse(head, 4096, out _));
    }

    [Theory]
    [InlineData("5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a=b;c=\"d e\"\r\nhello\r\n6 ; x\r\n world\r\n0\r\n\r\n")]
    [InlineData("A\r\n0123456789\r\n0\r\nX-Trailer: 1\r\nY: two words\r\n\r\n")]
    [InlineData("000\r\n\r\n")]
    public void FindsTheEndOfAChunkedBodyWhateverTheSplit(string body)
    {
        byte[] bytes = Encoding.Latin1.GetBytes(body + "NEXT");
        for (int split = 0; split < body.Length; split++)
        {
            var scanner = default(ChunkedScanner);
            Assert.Equal(ChunkedStatus.NeedMore, scanner.Advance(bytes.AsSpan(0, split), out int consumed));
            Assert.Equal(split, consumed);
            Assert.Equal(ChunkedStatus.Done, scanner.Advance(bytes.AsSpan(split), out int tail));
            Assert.Equal(body.Length, split + tail);
        }
    }

    [Fact]
    public void ByteAtATimeFindsTheSameEnd()
    {
        byte[] bytes = Encoding.Latin1.GetBytes("3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\nGET");
        var scanner = default(ChunkedScanner);
        for (int i = 0; i < bytes.Length; i++)
        {
            ChunkedStatus status = scanner.Advance(bytes.AsSpan(i, 1), out int consumed);
            if (status == ChunkedStatus.Done)
            {
                Assert.Equal(bytes.Length - 3, i + consumed);
                return;
            }

            Assert.Equal(ChunkedStatus.NeedMore, status);
        }

        Assert.Fail("the end was never found");
    }

    [Theory]
    [InlineData("Z\r\n")]
    [InlineData("\r\n")]
    [InlineData("5\nhello")]
    [InlineData("5\r\nhelloX\r\n")]
    [InlineData("5 \r\nhello\r\n")]
    [InlineData("-5\r\n")]
    [InlineData("1000000000000000\r\n")]
    [InlineData("0\r\nBad\nTrailer\r\n\r\n")]
    [InlineData("0\r\n folded: trailer\r\n\r\n")]
    [InlineData("5;ext\u0001\r\nhello\r\n")]
    public void RefusesChunkedFramingThatBreaksTheRules(string body)
    {
        var scanner = default(ChunkedScanner);
        Assert.Equal(ChunkedStatus.Malformed, scanner.Advance(Encoding.Latin1.GetBytes(body), out _));
    }

    [Fact]
    public void ExtensionsAndTrailersAreCapped()
    {
        var scanner = default(ChunkedScanner);
        Assert.Equal(ChunkedStatus.Malformed, scanner.Advance(Encoding.Latin1.GetBytes("1;" + new string('e', ChunkedScanner.MaxLineBytes + 1)), out _));
        scanner = default;
        Assert.Equal(ChunkedStatus.Malformed, scanner.Advance(Encoding.Latin1.GetBytes("0\r\nX: " + new string('t', ChunkedScanner.MaxTrailerBytes)), out _));
    }

    [Fact]
    public void MutatedResponsesAndChunkedBodiesNeverThrowAndNeverClaimMoreThanTheyWereGiven()
    {
        // Mutations of a real response and a real chunked body: whatever comes back is a status, a
        // whole head is no longer than the bytes given, and the scanner never takes more than it got.
        byte[] response = Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n");
        byte[] body = Encoding.Latin1.GetBytes("5;a=b\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-T: 1\r\n\r\n");
        var random = new Random(11);
        for (int round = 0; round < 20_000; round++)
        {
            byte[] mutated = (byte[])(round % 2 == 0 ? response : body).Clone();
            for (int i = random.Next(1, 6); i > 0; i--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            int length = random.Next(mutated.Length + 1);
            if (round % 2 == 0)
            {
                HttpResponseStatus status = HttpResponseHeadParser.Parse(mutated.AsSpan(0, length), 64, out HttpResponseHead head);
                Assert.True(status != HttpResponseStatus.Complete || (head.HeadLength <= length && head.StatusCode is >= 0 and <= 999));
            }
            else
            {
                var scanner = default(ChunkedScanner);
                int split = random.Next(length + 1);
                ChunkedStatus first = scanner.Advance(mutated.AsSpan(0, split), out int taken);
                Assert.InRange(taken, 0, split);
                if (first == ChunkedStatus.NeedMore)
                {
                    scanner.Advance(mutated.AsSpan(split, length - split), out int more);
                    Assert.InRange(more, 0, length - split);
                }
            }
        }
    }
}

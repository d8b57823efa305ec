using System.Text;
using ClusterExpose.Engine.Proxy;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

public sealed class HttpRequestHeadParserTests
{
    private static HttpHeadStatus Parse(string head, out HttpRequestHead? parsed, int cap = HttpRequestHeadParser.DefaultMaxHeadBytes) =>
        HttpRequestHeadParser.Parse(Encoding.Latin1.GetBytes(head), cap, out parsed);

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: kl.example.top\r\n\r\n", "kl.example.top")]
    [InlineData("GET / HTTP/1.1\r\nhost:KL.Example.Top:8080\r\n\r\n", "kl.example.top")]
    [InlineData("GET / HTTP/1.1\r\nHOST:   kl.example.top.  \r\nAccept: */*\r\n\r\n", "kl.example.top")]
    [InlineData("GET /.well-known/acme-challenge/x HTTP/1.1\r\nHost: a.kl.example.top\r\nUser-Agent: acme\r\n\r\n", "a.kl.example.top")]
    [InlineData("GET http://nas.example.top/x HTTP/1.1\r\nHost: kl.example.top\r\n\r\n", "nas.example.top")]
    [InlineData("GET http://user@nas.example.top:81/x HTTP/1.0\r\n\r\n", "nas.example.top")]
    [InlineData("GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n", "2001?db8??1")]
    [InlineData("POST /x HTTP/1.1\r\nHost: kl.example.top\r\nContent-Length: 4\r\n\r\nbody", "kl.example.top")]
    public void ReadsTheHostToRouteOn(string head, string host)
    {
        Assert.Equal(HttpHeadStatus.Complete, Parse(head, out HttpRequestHead? parsed));
        Assert.Equal(host, parsed!.Host);
        Assert.Equal(head.IndexOf("\r\n\r\n", System.StringComparison.Ordinal) + 4, parsed.HeadLength);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", HttpHeadStatus.MissingHost)]
    [InlineData("GET / HTTP/1.0\r\n\r\n", HttpHeadStatus.MissingHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", HttpHeadStatus.DuplicateHost)]
    [InlineData("GET / HTTP/1.1\r\nHost : a.example\r\n\r\n", HttpHeadStatus.Malformed)]
    [InlineData("GET / HTTP/1.1\r\nHost: a.example\r\n folded\r\n\r\n", HttpHeadStatus.Malformed)]
    [InlineData("GET / HTTP/2.0\r\nHost: a.example\r\n\r\n", HttpHeadStatus.Malformed)]
    [InlineData("GET  / HTTP/1.1\r\nHost: a.example\r\n\r\n", HttpHeadStatus.Malformed)]
    [InlineData("G(T / HTTP/1.1\r\nHost: a.example\r\n\r\n", HttpHeadStatus.Malformed)]
    [InlineData("GET / HTTP/1.1\r\nHost: a.example:http\r\n\r\n", HttpHeadStatus.Malformed)]
    [InlineData("GET / HTTP/1.1\r\nHost: \r\n\r\n", HttpHeadStatus.Malformed)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\u0001b\r\n\r\n", HttpHeadStatus.Malformed)]
    [InlineData("SSH-2.0-OpenSSH_9.6\r\n", HttpHeadStatus.Malformed)]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001", HttpHeadStatus.Malformed)]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HttpHeadStatus.Http2Preface)]
    [InlineData("PRI * HTTP/2", HttpHeadStatus.Incomplete)]
    [InlineData("GET / HTTP/1.1\r\nHost: a.example\r\n", HttpHeadStatus.Incomplete)]
    [InlineData("GE", HttpHeadStatus.Incomplete)]
    [InlineData("", HttpHeadStatus.Incomplete)]
    public void ClassifiesWhatIsNotARoutableRequest(string head, HttpHeadStatus expected)
    {
        Assert.Equal(expected, Parse(head, out HttpRequestHead? parsed));
        Assert.Null(parsed);
    }

    [Fact]
    public void AHeadOverTheCapIsTooLarge()
    {
        string head = "GET / HTTP/1.1\r\nHost: a.example\r\nX-Big: " + new string('a', 20_000) + "\r\n\r\n";
        Assert.Equal(HttpHeadStatus.TooLarge, Parse(head, out _));
        Assert.Equal(HttpHeadStatus.TooLarge, Parse(head.Substring(0, 16_384), out _));
        Assert.Equal(HttpHeadStatus.Complete, Parse(head, out _, cap: 64 * 1024));
    }

    [Fact]
    public void EveryPrefixOfAGoodHeadIsIncomplete()
    {
        const string head = "GET /x HTTP/1.1\r\nHost: kl.example.top\r\nAccept: */*\r\n\r\n";
        for (int length = 0; length < head.Length; length++)
        {
            Assert.Equal(HttpHeadStatus.Incomplete, Parse(head.Substring(0, length), out _));
        }
    }

    [Fact]
    public void AHostWithBytesNoRouteMatchesIsFlagged()
    {
        Assert.Equal(HttpHeadStatus.Complete, Parse("GET / HTTP/1.1\r\nHost: b\u00fccher.example\r\n\r\n", out HttpRequestHead? parsed));
        Assert.True(parsed!.HostUnroutable);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", BodyFraming.None, 0L, false, true, false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", BodyFraming.None, 0L, false, true, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nContent-Length: 12\r\n\r\n", BodyFraming.Length, 12L, false, true, false)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, Chunked\r\nExpect: 100-continue\r\n\r\n", BodyFraming.Chunked, 0L, true, true, false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", BodyFraming.None, 0L, false, false, false)]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\n\r\n", BodyFraming.None, 0L, false, false, false)]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\nConnection: Keep-Alive\r\n\r\n", BodyFraming.None, 0L, false, true, false)]
    [InlineData("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", BodyFraming.None, 0L, false, true, true)]
    [InlineData("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", BodyFraming.None, 0L, false, true, false)]
    public void ReadsWhereTheBodyEndsAndWhatTheConnectionDoesNext(string head, BodyFraming framing, long length, bool expectContinue, bool keepAlive, bool upgrade)
    {
        Assert.Equal(HttpHeadStatus.Complete, Parse(head, out HttpRequestHead? parsed));
        Assert.Equal(framing, parsed!.Framing);
        Assert.Equal(length, parsed.ContentLength);
        Assert.Equal(expectContinue, parsed.ExpectContinue);
        Assert.Equal(keepAlive, parsed.KeepAlive);
        Assert.Equal(upgrade, parsed.Upgrade);
    }

    [Theory]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", HttpHeadStatus.AmbiguousLength)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", HttpHeadStatus.AmbiguousLength)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", HttpHeadStatus.BadContentLength)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n", HttpHeadStatus.BadContentLength)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", HttpHeadStatus.BadContentLength)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", HttpHeadStatus.BadContentLength)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", HttpHeadStatus.BadContentLength)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", HttpHeadStatus.BadContentLength)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", HttpHeadStatus.BadTransferEncoding)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", HttpHeadStatus.BadTransferEncoding)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", HttpHeadStatus.BadTransferEncoding)]
    [InlineData("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", HttpHeadStatus.BadTransferEncoding)]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \u000bchunked\r\n\r\n", HttpHeadStatus.Malformed)]
    public void RefusesFramingTwoReadersCouldReadDifferently(string head, HttpHeadStatus expected)
    {
        Assert.Equal(expected, Parse(head, out HttpRequestHead? parsed));
        Assert.Null(parsed);
    }
}

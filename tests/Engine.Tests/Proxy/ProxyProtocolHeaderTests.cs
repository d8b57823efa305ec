using System;
using System.Net;
using System.Text;
using ClusterExpose.Engine.Proxy;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>Golden bytes of PROXY protocol headers, from the examples of HAProxy's specification.</summary>
public sealed class ProxyProtocolHeaderTests
{
    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("203.0.113.7"), 51234);
    private static readonly IPEndPoint Proxy4 = new(IPAddress.Parse("198.51.100.1"), 443);

    [Fact]
    public void WritesVersion1ForIPv4()
    {
        Assert.Equal("PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n", Encoding.ASCII.GetString(ProxyProtocolHeader.BuildV1(Client4, Proxy4)));
    }

    [Fact]
    public void WritesVersion1ForIPv6AndMappedAddressesAsIPv4()
    {
        var client6 = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 40000);
        var proxy6 = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443);
        Assert.Equal("PROXY TCP6 2001:db8::7 2001:db8::1 40000 443\r\n", Encoding.ASCII.GetString(ProxyProtocolHeader.BuildV1(client6, proxy6)));

        var mappedClient = new IPEndPoint(IPAddress.Parse("::ffff:203.0.113.7"), 51234);
        var mappedProxy = new IPEndPoint(IPAddress.Parse("::ffff:198.51.100.1"), 443);
        Assert.Equal("PROXY TCP4 203.0.113.7 198.51.100.1 51234 443\r\n", Encoding.ASCII.GetString(ProxyProtocolHeader.BuildV1(mappedClient, mappedProxy)));
        Assert.True(ProxyProtocolHeader.BuildV1(client6, proxy6).Length <= 107);
    }

    [Fact]
    public void WritesVersion2ForIPv4()
    {
        byte[] expected =
        {
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
            0x21, 0x11, 0x00, 0x0C,
            203, 0, 113, 7,
            198, 51, 100, 1,
            0xC8, 0x22,
            0x01, 0xBB,
        };
        Assert.Equal(expected, ProxyProtocolHeader.BuildV2(Client4, Proxy4));
    }

    [Fact]
    public void WritesVersion2ForIPv6()
    {
        var client6 = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 40000);
        var proxy6 = new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443);
        byte[] header = ProxyProtocolHeader.BuildV2(client6, proxy6);
        Assert.Equal(16 + 36, header.Length);
        Assert.Equal(new byte[] { 0x21, 0x21, 0x00, 0x24 }, header.AsSpan(12, 4).ToArray());
        Assert.Equal(IPAddress.Parse("2001:db8::7").GetAddressBytes(), header.AsSpan(16, 16).ToArray());
        Assert.Equal(IPAddress.Parse("2001:db8::1").GetAddressBytes(), header.AsSpan(32, 16).ToArray());
        Assert.Equal(new byte[] { 0x9C, 0x40, 0x01, 0xBB }, header.AsSpan(48, 4).ToArray());
    }

    [Fact]
    public void MixedFamiliesAreWrittenAsIPv6()
    {
        var client6 = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 40000);
        Assert.StartsWith("PROXY TCP6 2001:db8::7 ::ffff:198.51.100.1 ", Encoding.ASCII.GetString(ProxyProtocolHeader.BuildV1(client6, Proxy4)));
        Assert.Equal(0x21, ProxyProtocolHeader.BuildV2(client6, Proxy4)[13]);
    }

    [Fact]
    public void NoneWritesNothing()
    {
        Assert.Empty(ProxyProtocolHeader.Build(ProxyProtocolVersion.None, Client4, Proxy4));
    }
}

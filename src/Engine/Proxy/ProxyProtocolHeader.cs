using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// PROXY protocol headers (HAProxy's spec, versions 1 and 2) announcing the client's address to the
/// backend. Sent once, before any payload. IPv4-mapped IPv6 addresses are written as IPv4.
/// </summary>
public static class ProxyProtocolHeader
{
    /// <summary>The v2 signature: \r\n\r\n\0\r\nQUIT\n.</summary>
    public static ReadOnlySpan<byte> V2Signature => new byte[] { 0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A };

    public static byte[] Build(ProxyProtocolVersion version, IPEndPoint client, IPEndPoint proxy) => version switch
    {
        ProxyProtocolVersion.V1 => BuildV1(client, proxy),
        ProxyProtocolVersion.V2 => BuildV2(client, proxy),
        _ => Array.Empty<byte>(),
    };

    public static byte[] BuildV1(IPEndPoint client, IPEndPoint proxy)
    {
        (IPAddress source, IPAddress destination) = SameFamily(client.Address, proxy.Address);
        string family = source.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        string line = string.Create(CultureInfo.InvariantCulture, $"PROXY {family} {source} {destination} {client.Port} {proxy.Port}\r\n");
        return Encoding.ASCII.GetBytes(line);
    }

    public static byte[] BuildV2(IPEndPoint client, IPEndPoint proxy)
    {
        (IPAddress source, IPAddress destination) = SameFamily(client.Address, proxy.Address);
        bool v4 = source.AddressFamily == AddressFamily.InterNetwork;
        int addressBytes = v4 ? 12 : 36;
        var header = new byte[16 + addressBytes];
        V2Signature.CopyTo(header);
        header[12] = 0x21; // version 2, PROXY command
        header[13] = (byte)(v4 ? 0x11 : 0x21); // TCP over IPv4 / IPv6
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)addressBytes);
        int length = v4 ? 4 : 16;
        source.TryWriteBytes(header.AsSpan(16, length), out _);
        destination.TryWriteBytes(header.AsSpan(16 + length, length), out _);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(16 + (2 * length)), (ushort)client.Port);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18 + (2 * length)), (ushort)proxy.Port);
        return header;
    }

    /// <summary>Both addresses in one family: mapped addresses back to IPv4; if still mixed, both as IPv6.</summary>
    private static (IPAddress Source, IPAddress Destination) SameFamily(IPAddress source, IPAddress destination)
    {
        if (source.IsIPv4MappedToIPv6)
        {
            source = source.MapToIPv4();
        }

        if (destination.IsIPv4MappedToIPv6)
        {
            destination = destination.MapToIPv4();
        }

        if (source.AddressFamily != destination.AddressFamily)
        {
            source = source.AddressFamily == AddressFamily.InterNetwork ? source.MapToIPv6() : source;
            destination = destination.AddressFamily == AddressFamily.InterNetwork ? destination.MapToIPv6() : destination;
        }

        return (source, destination);
    }
}

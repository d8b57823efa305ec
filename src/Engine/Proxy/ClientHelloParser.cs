using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace ClusterExpose.Engine.Proxy;

/// <summary>What the bytes read so far from a TLS port amount to.</summary>
public enum ClientHelloStatus
{
    /// <summary>A well-formed start: read more.</summary>
    Incomplete,
    /// <summary>A whole ClientHello was read (or an SSLv2-compatible hello, which has no SNI).</summary>
    Complete,
    /// <summary>Not TLS at all (HTTP, an SSH banner, a PROXY header...).</summary>
    NotTls,
    /// <summary>TLS, but broken or ambiguous: close.</summary>
    Malformed,
    /// <summary>The hello is larger than the cap: close, never buffer what the client declares.</summary>
    TooLarge,
}

/// <summary>What a ClientHello says that routing needs.</summary>
public sealed class ClientHelloInfo
{
    internal static readonly ClientHelloInfo SslV2 = new(null, false, Array.Empty<string>(), isSslV2: true, hasEncryptedClientHello: false);

    internal ClientHelloInfo(string? serverName, bool serverNameUnroutable, IReadOnlyList<string> alpn, bool isSslV2, bool hasEncryptedClientHello)
    {
        ServerName = serverName;
        ServerNameUnroutable = serverNameUnroutable;
        Alpn = alpn;
        IsSslV2 = isSslV2;
        HasEncryptedClientHello = hasEncryptedClientHello;
    }

    /// <summary>The host_name, lowercase ASCII without a trailing dot; null when the client sent none.</summary>
    public string? ServerName { get; }

    /// <summary>True when the name holds bytes no route may match (anything but letters, digits, '-', '.', '_').</summary>
    public bool ServerNameUnroutable { get; }

    public IReadOnlyList<string> Alpn { get; }

    public bool IsSslV2 { get; }

    /// <summary>With ECH the name above is the outer, public one, which is what routing sees.</summary>
    public bool HasEncryptedClientHello { get; }
}

/// <summary>
/// Reads the SNI, ALPN and ECH presence from the first bytes of a TLS connection. The hello may
/// arrive in any number of TCP segments and span several handshake records; the parser is given
/// everything read so far and answers <see cref="ClientHelloStatus.Incomplete"/> until it has all
/// of it. It never throws, never reads outside the span, and never allocates by a length the client
/// declares: lengths are checked against the cap first.
/// </summary>
public static class ClientHelloParser
{
    public const int DefaultMaxHelloBytes = 16 * 1024;
    public const int MaxAllowedHelloBytes = 64 * 1024;

    /// <summary>A TLS record's payload may be 2^14 bytes plus 2048 of expansion, no more.</summary>
    public const int MaxRecordPayload = (1 << 14) + 2048;

    private const byte HandshakeRecord = 0x16;
    private const byte ClientHelloMessage = 0x01;
    private const ushort ServerNameExtension = 0x0000;
    private const ushort AlpnExtension = 0x0010;
    private const ushort EncryptedClientHelloExtension = 0xfe0d;
    private const int MaxExtensions = 256;
    private const int MaxAlpnProtocols = 32;
    private const int MaxHostNameLength = 255;

    public static ClientHelloStatus Parse(ReadOnlySpan<byte> data, int maxHelloBytes, out ClientHelloInfo? info)
    {
        info = null;
        if (data.IsEmpty)
        {
            return ClientHelloStatus.Incomplete;
        }

        if (data[0] != HandshakeRecord)
        {
            return ParseSslV2(data, out info);
        }

        // Pass 1: walk the records, checking each header, until the handshake message is complete.
        int handshakeLength = -1;
        int gathered = 0;
        int offset = 0;
        int records = 0;
        Span<byte> head = stackalloc byte[4];
        while (true)
        {
            if (data.Length - offset < 5)
            {
                return PartialHeader(data.Slice(offset), records == 0);
            }

            ReadOnlySpan<byte> header = data.Slice(offset, 5);
            if (header[0] != HandshakeRecord)
            {
                return ClientHelloStatus.Malformed;
            }

            if (header[1] != 3)
            {
                return records == 0 ? ClientHelloStatus.NotTls : ClientHelloStatus.Malformed;
            }

            int recordLength = BinaryPrimitives.ReadUInt16BigEndian(header.Slice(3));
            if (recordLength == 0 || recordLength > MaxRecordPayload)
            {
                return ClientHelloStatus.Malformed;
            }

            int available = Math.Min(recordLength, data.Length - offset - 5);
            ReadOnlySpan<byte> payload = data.Slice(offset + 5, available);
            if (handshakeLength < 0 && gathered + available >= 4)
            {
                CopyGathered(data, 4, head);
                if (head[0] != ClientHelloMessage)
                {
                    return ClientHelloStatus.Malformed;
                }

                handshakeLength = (head[1] << 16) | (head[2] << 8) | head[3];
                if (handshakeLength + 4 > maxHelloBytes)
                {
                    return ClientHelloStatus.TooLarge;
                }
            }

            gathered += available;
            records++;
            if (handshakeLength >= 0 && gathered >= handshakeLength + 4)
            {
                break;
            }

            if (available < recordLength)
            {
                return ClientHelloStatus.Incomplete;
            }

            offset += 5 + recordLength;
            if (gathered > maxHelloBytes)
            {
                return ClientHelloStatus.TooLarge;
            }
        }

        // Pass 2: parse the message, straight from the span when one record holds it all.
        int messageLength = handshakeLength + 4;
        if (records == 1)
        {
            return ParseMessage(data.Slice(5 + 4, handshakeLength), out info);
        }

        byte[] joined = ArrayPool<byte>.Shared.Rent(messageLength);
        try
        {
            CopyGathered(data, messageLength, joined.AsSpan(0, messageLength));
            return ParseMessage(joined.AsSpan(4, handshakeLength), out info);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(joined);
        }
    }

    /// <summary>Copies the first <paramref name="count"/> handshake bytes out of consecutive records.</summary>
    private static void CopyGathered(ReadOnlySpan<byte> data, int count, Span<byte> destination)
    {
        int copied = 0;
        int offset = 0;
        while (copied < count && data.Length - offset >= 5)
        {
            int recordLength = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset + 3));
            int available = Math.Min(Math.Min(recordLength, data.Length - offset - 5), count - copied);
            data.Slice(offset + 5, available).CopyTo(destination.Slice(copied));
            copied += available;
            offset += 5 + recordLength;
        }
    }

    /// <summary>Judges the first bytes of a record header that has not fully arrived.</summary>
    private static ClientHelloStatus PartialHeader(ReadOnlySpan<byte> partial, bool first)
    {
        if (partial.Length >= 1 && partial[0] != HandshakeRecord)
        {
            return ClientHelloStatus.Malformed;
        }

        if (partial.Length >= 2 && partial[1] != 3)
        {
            return first ? ClientHelloStatus.NotTls : ClientHelloStatus.Malformed;
        }

        return ClientHelloStatus.Incomplete;
    }

    /// <summary>An SSLv2-compatible hello: a 2-byte header with the high bit set, then message type 1. TLS, with no SNI possible.</summary>
    private static ClientHelloStatus ParseSslV2(ReadOnlySpan<byte> data, out ClientHelloInfo? info)
    {
        info = null;
        if ((data[0] & 0x80) == 0)
        {
            return ClientHelloStatus.NotTls;
        }

        if (data.Length < 3)
        {
            return ClientHelloStatus.Incomplete;
        }

        if (data[2] != ClientHelloMessage)
        {
            return ClientHelloStatus.NotTls;
        }

        info = ClientHelloInfo.SslV2;
        return ClientHelloStatus.Complete;
    }

    private static ClientHelloStatus ParseMessage(ReadOnlySpan<byte> body, out ClientHelloInfo? info)
    {
        info = null;
        var reader = new SpanReader(body);
        if (!reader.Skip(2 + 32)
            || !reader.TryReadVector8(out ReadOnlySpan<byte> sessionId) || sessionId.Length > 32
            || !reader.TryReadVector16(out ReadOnlySpan<byte> cipherSuites) || cipherSuites.Length < 2 || (cipherSuites.Length & 1) != 0
            || !reader.TryReadVector8(out ReadOnlySpan<byte> compression) || compression.Length < 1)
        {
            return ClientHelloStatus.Malformed;
        }

        if (reader.Remaining == 0)
        {
            info = new ClientHelloInfo(null, false, Array.Empty<string>(), false, false);
            return ClientHelloStatus.Complete;
        }

        if (!reader.TryReadVector16(out ReadOnlySpan<byte> extensions) || reader.Remaining != 0)
        {
            return ClientHelloStatus.Malformed;
        }

        Span<ushort> seen = stackalloc ushort[MaxExtensions];
        int seenCount = 0;
        string? serverName = null;
        bool unroutable = false;
        bool ech = false;
        IReadOnlyList<string> alpn = Array.Empty<string>();
        var extensionReader = new SpanReader(extensions);
        while (extensionReader.Remaining > 0)
        {
            if (!extensionReader.TryReadUInt16(out ushort type) || !extensionReader.TryReadVector16(out ReadOnlySpan<byte> extension))
            {
                return ClientHelloStatus.Malformed;
            }

            if (seenCount == MaxExtensions || seen.Slice(0, seenCount).Contains(type))
            {
                return ClientHelloStatus.Malformed;
            }

            seen[seenCount++] = type;
            switch (type)
            {
                case ServerNameExtension:
                    if (!ReadServerName(extension, out serverName, out unroutable))
                    {
                        return ClientHelloStatus.Malformed;
                    }

                    break;
                case AlpnExtension:
                    if (!ReadAlpn(extension, out alpn))
                    {
                        return ClientHelloStatus.Malformed;
                    }

                    break;
                case EncryptedClientHelloExtension:
                    ech = true;
                    break;
            }
        }

        info = new ClientHelloInfo(serverName, unroutable, alpn, false, ech);
        return ClientHelloStatus.Complete;
    }

    /// <summary>RFC 6066: a non-empty list; at most one host_name, non-empty; other name types are skipped.</summary>
    private static bool ReadServerName(ReadOnlySpan<byte> extension, out string? name, out bool unroutable)
    {
        name = null;
        unroutable = false;
        var reader = new SpanReader(extension);
        if (!reader.TryReadVector16(out ReadOnlySpan<byte> list) || reader.Remaining != 0 || list.IsEmpty)
        {
            return false;
        }

        var entries = new SpanReader(list);
        while (entries.Remaining > 0)
        {
            if (!entries.TryReadByte(out byte nameType) || !entries.TryReadVector16(out ReadOnlySpan<byte> value))
            {
                return false;
            }

            if (nameType != 0)
            {
                continue;
            }

            if (name is not null || value.IsEmpty || value.Length > MaxHostNameLength)
            {
                return false;
            }

            name = NormalizeName(value, out unroutable);
        }

        return true;
    }

    /// <summary>Lowercases ASCII and drops one trailing dot; any byte outside [A-Za-z0-9._-] makes the name unroutable.</summary>
    internal static string NormalizeName(ReadOnlySpan<byte> value, out bool unroutable)
    {
        unroutable = false;
        if (value.Length > 1 && value[^1] == (byte)'.')
        {
            value = value.Slice(0, value.Length - 1);
        }

        Span<char> chars = stackalloc char[value.Length];
        for (int i = 0; i < value.Length; i++)
        {
            byte b = value[i];
            if (b >= 'A' && b <= 'Z')
            {
                b = (byte)(b + 32);
            }
            else if (!(b >= 'a' && b <= 'z') && !(b >= '0' && b <= '9') && b != '-' && b != '.' && b != '_')
            {
                unroutable = true;
                b = (byte)'?';
            }

            chars[i] = (char)b;
        }

        return new string(chars);
    }

    private static bool ReadAlpn(ReadOnlySpan<byte> extension, out IReadOnlyList<string> protocols)
    {
        protocols = Array.Empty<string>();
        var reader = new SpanReader(extension);
        if (!reader.TryReadVector16(out ReadOnlySpan<byte> list) || reader.Remaining != 0 || list.IsEmpty)
        {
            return false;
        }

        var found = new List<string>(4);
        var entries = new SpanReader(list);
        while (entries.Remaining > 0)
        {
            if (!entries.TryReadVector8(out ReadOnlySpan<byte> protocol) || protocol.IsEmpty)
            {
                return false;
            }

            if (found.Count < MaxAlpnProtocols)
            {
                found.Add(Encoding.Latin1.GetString(protocol));
            }
        }

        protocols = found;
        return true;
    }

    /// <summary>Bounds-checked big-endian reads over a span; every method answers false instead of reading past the end.</summary>
    private ref struct SpanReader
    {
        private ReadOnlySpan<byte> rest;

        public SpanReader(ReadOnlySpan<byte> data) => rest = data;

        public int Remaining => rest.Length;

        public bool Skip(int count)
        {
            if (rest.Length < count)
            {
                return false;
            }

            rest = rest.Slice(count);
            return true;
        }

        public bool TryReadByte(out byte value)
        {
            value = 0;
            if (rest.IsEmpty)
            {
                return false;
            }

            value = rest[0];
            rest = rest.Slice(1);
            return true;
        }

        public bool TryReadUInt16(out ushort value)
        {
            value = 0;
            if (rest.Length < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(rest);
            rest = rest.Slice(2);
            return true;
        }

        public bool TryReadVector8(out ReadOnlySpan<byte> vector)
        {
            vector = default;
            return TryReadByte(out byte length) && TryTake(length, out vector);
        }

        public bool TryReadVector16(out ReadOnlySpan<byte> vector)
        {
            vector = default;
            return TryReadUInt16(out ushort length) && TryTake(length, out vector);
        }

        private bool TryTake(int length, out ReadOnlySpan<byte> taken)
        {
            taken = default;
            if (rest.Length < length)
            {
                return false;
            }

            taken = rest.Slice(0, length);
            rest = rest.Slice(length);
            return true;
        }
    }
}

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using ClusterExpose.Engine.Proxy;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>
/// The ClientHello parser over hellos captured from real clients (openssl s_client, curl; see
/// Hellos/), every truncation of them, random split points, and hellos built here to be broken.
/// </summary>
public sealed class ClientHelloParserTests
{
    private const int Cap = ClientHelloParser.DefaultMaxHelloBytes;

    public static IEnumerable<object[]> Captured() => new[]
    {
        new object[] { "openssl-sni-alpn.bin", "kl.example.top", "h2,http/1.1" },
        new object[] { "openssl-no-sni.bin", null!, string.Empty },
        new object[] { "openssl-large-fragmented.bin", "a.kl.example.top", "proto-000-xxxxxxxxxxxxxxxxxxxx" },
        new object[] { "curl.bin", "nas.example.top", "h2,http/1.1" },
        new object[] { "openssl-tls12.bin", "kl.example.top", string.Empty },
    };

    internal static byte[] Hello(string file) => File.ReadAllBytes(TestData.Folder(Path.Combine("Proxy", "Hellos", file)));

    [Theory]
    [MemberData(nameof(Captured))]
    public void ReadsTheNameAndAlpnOfRealHellos(string file, string? name, string alpnStart)
    {
        byte[] hello = Hello(file);
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloParser.Parse(hello, Cap, out ClientHelloInfo? info));
        Assert.Equal(name, info!.ServerName);
        Assert.False(info.ServerNameUnroutable);
        Assert.StartsWith(alpnStart, string.Join(",", info.Alpn));
        Assert.False(info.IsSslV2);
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void EveryTruncationIsIncompleteNeverAnError(string file, string? name, string alpnStart)
    {
        _ = name;
        _ = alpnStart;
        byte[] hello = Hello(file);
        int complete = CompleteLength(hello);
        for (int length = 0; length < complete; length++)
        {
            Assert.Equal(ClientHelloStatus.Incomplete, ClientHelloParser.Parse(hello.AsSpan(0, length), Cap, out ClientHelloInfo? info));
            Assert.Null(info);
        }
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void RandomSplitPointsGiveTheSameAnswer(string file, string? name, string alpnStart)
    {
        _ = alpnStart;
        byte[] hello = Hello(file);
        var random = new Random(20261126 + file.Length);
        for (int round = 0; round < 200; round++)
        {
            // Feed the bytes as a proxy receives them: a growing prefix, in random-sized segments.
            int received = 0;
            ClientHelloStatus status = ClientHelloStatus.Incomplete;
            ClientHelloInfo? info = null;
            while (status == ClientHelloStatus.Incomplete)
            {
                received = Math.Min(hello.Length, received + random.Next(1, 700));
                status = ClientHelloParser.Parse(hello.AsSpan(0, received), Cap, out info);
                Assert.True(status == ClientHelloStatus.Complete || received < hello.Length);
            }

            Assert.Equal(ClientHelloStatus.Complete, status);
            Assert.Equal(name, info!.ServerName);
        }
    }

    [Fact]
    public void AHelloSplitIntoOneRecordPerByteStillParses()
    {
        byte[] message = HandshakeMessage(Hello("openssl-sni-alpn.bin"));
        var records = new List<byte>();
        foreach (byte b in message)
        {
            records.AddRange(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x01, b });
        }

        Assert.Equal(ClientHelloStatus.Complete, ClientHelloParser.Parse(records.ToArray(), ClientHelloParser.MaxAllowedHelloBytes, out ClientHelloInfo? info));
        Assert.Equal("kl.example.top", info!.ServerName);
    }

    [Fact]
    public void TheFragmentedCaptureReallySpansSeveralRecords()
    {
        byte[] hello = Hello("openssl-large-fragmented.bin");
        Assert.Equal(512, BinaryPrimitives.ReadUInt16BigEndian(hello.AsSpan(3)));
        Assert.True(hello.Length > 2048);
    }

    [Fact]
    public void AnotherRecordTypeBeforeTheHelloEndsIsMalformed()
    {
        byte[] hello = Hello("openssl-large-fragmented.bin");
        byte[] tampered = hello.ToArray();
        tampered[5 + 512] = 0x17; // the second record claims to be application data
        Assert.Equal(ClientHelloStatus.Malformed, ClientHelloParser.Parse(tampered, Cap, out _));
    }

    [Fact]
    public void AHelloOverTheCapIsTooLargeBeforeItArrives()
    {
        byte[] hello = Hello("openssl-large-fragmented.bin");
        Assert.Equal(ClientHelloStatus.TooLarge, ClientHelloParser.Parse(hello.AsSpan(0, 20), 1024, out _));

        // A declared length of 16 MB is refused from the first 9 bytes; nothing is allocated for it.
        byte[] liar = { 0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0xFF, 0xFF, 0xFF };
        Assert.Equal(ClientHelloStatus.TooLarge, ClientHelloParser.Parse(liar, Cap, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x00 }, ClientHelloStatus.Malformed)]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x48, 0x01 }, ClientHelloStatus.Malformed)]
    [InlineData(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00 }, ClientHelloStatus.Malformed)]
    [InlineData(new byte[] { 0x16, 0x02 }, ClientHelloStatus.NotTls)]
    [InlineData(new byte[] { 0x16 }, ClientHelloStatus.Incomplete)]
    [InlineData(new byte[] { 0x47, 0x45, 0x54, 0x20 }, ClientHelloStatus.NotTls)]
    [InlineData(new byte[] { 0x53, 0x53, 0x48, 0x2D }, ClientHelloStatus.NotTls)]
    [InlineData(new byte[] { 0x50, 0x52, 0x4F, 0x58, 0x59 }, ClientHelloStatus.NotTls)]
    [InlineData(new byte[] { 0x0D, 0x0A, 0x0D, 0x0A, 0x00 }, ClientHelloStatus.NotTls)]
    [InlineData(new byte[] { 0x80 }, ClientHelloStatus.Incomplete)]
    [InlineData(new byte[] { 0x80, 0x2E, 0x02 }, ClientHelloStatus.NotTls)]
    public void NonHelloBytesAreClassified(byte[] bytes, ClientHelloStatus expected)
    {
        Assert.Equal(expected, ClientHelloParser.Parse(bytes, Cap, out _));
    }

    [Fact]
    public void AnSslV2CompatibleHelloIsTlsWithoutSni()
    {
        byte[] sslv2 = { 0x80, 0x2E, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10 };
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloParser.Parse(sslv2, Cap, out ClientHelloInfo? info));
        Assert.True(info!.IsSslV2);
        Assert.Null(info.ServerName);
    }

    [Theory]
    [InlineData("KL.Example.TOP", "kl.example.top", false)]
    [InlineData("kl.example.top.", "kl.example.top", false)]
    [InlineData("10.0.0.1", "10.0.0.1", false)]
    [InlineData("under_score.example", "under_score.example", false)]
    [InlineData("b\u00fccher.example", "b??cher.example", true)]
    [InlineData("evil\u0000.example", "evil?.example", true)]
    [InlineData("a b.example", "a?b.example", true)]
    public void NamesAreNormalisedAndStrangeBytesNeverRoute(string sent, string read, bool unroutable)
    {
        byte[] hello = BuildHello(Extension(0, ServerNameList((0, Encoding.UTF8.GetBytes(sent)))));
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloParser.Parse(hello, Cap, out ClientHelloInfo? info));
        Assert.Equal(read, info!.ServerName);
        Assert.Equal(unroutable, info.ServerNameUnroutable);
    }

    [Fact]
    public void GreaseUnknownExtensionsAndEchAreSkipped()
    {
        byte[] hello = BuildHello(
            Extension(0x0A0A, Array.Empty<byte>()),
            Extension(0x1234, new byte[] { 1, 2, 3 }),
            Extension(0, ServerNameList((1, new byte[] { 9, 9 }), (0, "public.example.top"u8.ToArray()))),
            Extension(0xFE0D, new byte[] { 0, 1, 2, 3 }),
            Extension(0x4A4A, new byte[] { 0 }));
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloParser.Parse(hello, Cap, out ClientHelloInfo? info));
        Assert.Equal("public.example.top", info!.ServerName);
        Assert.True(info.HasEncryptedClientHello);
    }

    [Theory]
    [InlineData("two host names")]
    [InlineData("empty name")]
    [InlineData("empty list")]
    [InlineData("duplicate extension")]
    [InlineData("list longer than extension")]
    [InlineData("extension longer than block")]
    [InlineData("trailing bytes after extensions")]
    [InlineData("odd cipher suites")]
    [InlineData("empty alpn protocol")]
    [InlineData("long session id")]
    public void BrokenHellosAreMalformed(string broken)
    {
        byte[] name = "kl.example.top"u8.ToArray();
        byte[] hello = broken switch
        {
            "two host names" => BuildHello(Extension(0, ServerNameList((0, name), (0, name)))),
            "empty name" => BuildHello(Extension(0, ServerNameList((0, Array.Empty<byte>())))),
            "empty list" => BuildHello(Extension(0, new byte[] { 0, 0 })),
            "duplicate extension" => BuildHello(Extension(0x1234, Array.Empty<byte>()), Extension(0x1234, Array.Empty<byte>())),
            "list longer than extension" => BuildHello(Extension(0, new byte[] { 0, 9, 0, 0, 1, (byte)'a' })),
            "extension longer than block" => BuildHello(new byte[] { 0, 0, 0, 50, 0, 1 }),
            "trailing bytes after extensions" => BuildHello(Extension(0, ServerNameList((0, name)))).Concat(new byte[] { 0 }).ToArray(),
            "odd cipher suites" => BuildHello(cipherSuites: new byte[] { 0x13 }),
            "empty alpn protocol" => BuildHello(Extension(16, new byte[] { 0, 4, 2, (byte)'h', (byte)'2', 0 })),
            "long session id" => BuildHello(sessionIdLength: 33),
            _ => throw new ArgumentException(broken),
        };
        if (broken == "trailing bytes after extensions")
        {
            FixLengths(hello);
        }

        Assert.Equal(ClientHelloStatus.Malformed, ClientHelloParser.Parse(hello, Cap, out ClientHelloInfo? info));
        Assert.Null(info);
    }

    [Fact]
    public void RandomBytesNeverThrowAndNeverClaimAName()
    {
        // Mutations of a real hello: whatever comes back is a status, and a Complete answer holds only routable or flagged names.
        byte[] original = Hello("curl.bin");
        var random = new Random(7);
        for (int round = 0; round < 20_000; round++)
        {
            byte[] mutated = original.ToArray();
            int flips = random.Next(1, 8);
            for (int i = 0; i < flips; i++)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            int length = random.Next(mutated.Length + 1);
            ClientHelloStatus status = ClientHelloParser.Parse(mutated.AsSpan(0, length), Cap, out ClientHelloInfo? info);
            Assert.Equal(status == ClientHelloStatus.Complete, info is not null);
            if (info?.ServerName is string sni && !info.ServerNameUnroutable)
            {
                Assert.Matches("^[a-z0-9._-]+$", sni);
            }
        }
    }

    private static int CompleteLength(byte[] records)
    {
        for (int length = 1; length <= records.Length; length++)
        {
            if (ClientHelloParser.Parse(records.AsSpan(0, length), Cap, out _) == ClientHelloStatus.Complete)
            {
                return length;
            }
        }

        throw new InvalidDataException("never complete");
    }

    /// <summary>The handshake message (type, length, body) out of a capture's records.</summary>
    private static byte[] HandshakeMessage(byte[] records)
    {
        var message = new List<byte>();
        int offset = 0;
        while (offset + 5 <= records.Length)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(records.AsSpan(offset + 3));
            message.AddRange(records.AsSpan(offset + 5, Math.Min(length, records.Length - offset - 5)).ToArray());
            offset += 5 + length;
        }

        int total = 4 + ((message[1] << 16) | (message[2] << 8) | message[3]);
        return message.Take(total).ToArray();
    }

    internal static byte[] Extension(ushort type, byte[] data) =>
        new[] { (byte)(type >> 8), (byte)type, (byte)(data.Length >> 8), (byte)data.Length }.Concat(data).ToArray();

    internal static byte[] ServerNameList(params (byte Type, byte[] Name)[] entries)
    {
        byte[] list = entries.SelectMany(e => new[] { e.Type, (byte)(e.Name.Length >> 8), (byte)e.Name.Length }.Concat(e.Name)).ToArray();
        return new[] { (byte)(list.Length >> 8), (byte)list.Length }.Concat(list).ToArray();
    }

    /// <summary>A minimal ClientHello record around the given extensions.</summary>
    internal static byte[] BuildHello(params byte[][] extensions) => BuildHello(null, 0, extensions);

    internal static byte[] BuildHello(byte[]? cipherSuites = null, int sessionIdLength = 0, params byte[][] extensions)
    {
        cipherSuites ??= new byte[] { 0x13, 0x01 };
        byte[] extensionBlock = extensions.SelectMany(e => e).ToArray();
        var body = new List<byte> { 0x03, 0x03 };
        body.AddRange(new byte[32]);
        body.Add((byte)sessionIdLength);
        body.AddRange(new byte[sessionIdLength]);
        body.AddRange(new[] { (byte)(cipherSuites.Length >> 8), (byte)cipherSuites.Length });
        body.AddRange(cipherSuites);
        body.AddRange(new byte[] { 1, 0 });
        body.AddRange(new[] { (byte)(extensionBlock.Length >> 8), (byte)extensionBlock.Length });
        body.AddRange(extensionBlock);
        var message = new List<byte> { 0x01, (byte)(body.Count >> 16), (byte)(body.Count >> 8), (byte)body.Count };
        message.AddRange(body);
        var record = new List<byte> { 0x16, 0x03, 0x01, (byte)(message.Count >> 8), (byte)message.Count };
        record.AddRange(message);
        return record.ToArray();
    }

    /// <summary>Rewrites the record and handshake lengths after bytes were appended.</summary>
    private static void FixLengths(byte[] hello)
    {
        int message = hello.Length - 5;
        BinaryPrimitives.WriteUInt16BigEndian(hello.AsSpan(3), (ushort)message);
        int body = message - 4;
        hello[6] = (byte)(body >> 16);
        hello[7] = (byte)(body >> 8);
        hello[8] = (byte)body;
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using ClusterExpose.Engine.Routing;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// What a listener reads before it can route, one small type per first-bytes protocol: how much it
/// may read, how the bytes so far are judged (a query to route by, more needed, or a refusal), and
/// how it tells a client it is refused. A connection asks its listener's reader and never branches on
/// the listener's kind.
/// </summary>
internal abstract class FirstBytesReader
{
    /// <summary>The reader for a listener of this kind.</summary>
    public static FirstBytesReader For(ListenerKind kind) => kind switch
    {
        ListenerKind.Tls => ClientHelloReader.Instance,
        ListenerKind.Http => RequestHeadReader.Instance,
        _ => NothingToRead.Instance,
    };

    /// <summary>Whether the route table is asked about a TLS connection.</summary>
    public abstract bool Tls { get; }

    /// <summary>
    /// Whether the backend speaks next once the opening bytes are through (the rest of a handshake,
    /// a response), so the relay starts with reads posted; a plain port may well stay silent.
    /// </summary>
    public abstract bool AnswerExpected { get; }

    /// <summary>Every request on the connection is routed on its own (HTTP); otherwise the first bytes route the whole connection.</summary>
    public virtual bool RoutesEveryRequest => false;

    /// <summary>The most bytes read before routing; 0 routes before reading anything.</summary>
    public abstract int Limit(SniProxyOptions options);

    /// <summary>
    /// The query of whole opening bytes; null with no <paramref name="rejection"/> while more may still
    /// come (<paramref name="roomLeft"/>); or why to refuse them.
    /// </summary>
    public abstract RouteQuery? Judge(ReadOnlySpan<byte> received, bool roomLeft, IPAddress? client, SniProxyOptions options, out RejectionReason? rejection);

    /// <summary>What a connection is refused as when no router takes it.</summary>
    public virtual RejectionReason NoRoute(in RouteQuery query) =>
        query.NameUnroutable || query.ServerName.Length > 0 ? RejectionReason.UnknownName : RejectionReason.NoServerName;

    /// <summary>The bytes that tell the client why it is refused, or null to close without a word.</summary>
    public abstract byte[]? Answer(RejectionReason reason);

    /// <summary>The HTTP status that answer carries (for the access log); 0 when it is not an HTTP status.</summary>
    public virtual int Status(RejectionReason reason) => 0;

    /// <summary>A ClientHello: routed by SNI and ALPN; refused with a TLS alert.</summary>
    private sealed class ClientHelloReader : FirstBytesReader
    {
        public static readonly ClientHelloReader Instance = new();

        private const byte AlertHandshakeFailure = 40;
        private const byte AlertUnrecognizedName = 112;
        private static readonly byte[] UnrecognizedName = Alert(AlertUnrecognizedName);
        private static readonly byte[] HandshakeFailure = Alert(AlertHandshakeFailure);

        public override bool Tls => true;

        public override bool AnswerExpected => true;

        // The hello's cap counts handshake bytes; the record headers around them need a little more.
        public override int Limit(SniProxyOptions options) => options.MaxHelloBytes + 1024;

        public override RouteQuery? Judge(ReadOnlySpan<byte> received, bool roomLeft, IPAddress? client, SniProxyOptions options, out RejectionReason? rejection)
        {
            rejection = null;
            switch (ClientHelloParser.Parse(received, options.MaxHelloBytes, out ClientHelloInfo? hello))
            {
                case ClientHelloStatus.Complete:
                    return hello!.ServerNameUnroutable
                        ? RouteQuery.WithUnroutableName(client, hello.Alpn)
                        : new RouteQuery(hello.ServerName ?? string.Empty, client, hello.Alpn);
                case ClientHelloStatus.Incomplete when roomLeft:
                    return null;
                case ClientHelloStatus.Incomplete or ClientHelloStatus.TooLarge:
                    rejection = RejectionReason.HelloTooLarge;
                    return null;
                case ClientHelloStatus.NotTls:
                    rejection = RejectionReason.NotTls;
                    return null;
                default:
                    rejection = RejectionReason.MalformedHello;
                    return null;
            }
        }

        public override byte[]? Answer(RejectionReason reason) => reason switch
        {
            RejectionReason.UnknownName or RejectionReason.NoServerName => UnrecognizedName,
            // A hello that never completed in time is a failed handshake too: the client learns why instead of seeing a bare close.
            RejectionReason.MalformedHello or RejectionReason.HelloTooLarge or RejectionReason.BackendUnavailable or RejectionReason.BackendTimeout
                or RejectionReason.HandshakeTimeout => HandshakeFailure,
            _ => null,
        };

        /// <summary>A fatal TLS alert record (TLS 1.2 record version, as servers send before a version is agreed).</summary>
        private static byte[] Alert(byte description) => new byte[] { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description };
    }

    /// <summary>An HTTP/1.x request head: routed by Host; refused with a status line.</summary>
    private sealed class RequestHeadReader : FirstBytesReader
    {
        public static readonly RequestHeadReader Instance = new();

        private static readonly Dictionary<RejectionReason, (int Status, string Text)> Statuses = new()
        {
            [RejectionReason.BadRequest] = (400, "Bad Request"),
            [RejectionReason.UnknownName] = (404, "Not Found"),
            [RejectionReason.NoServerName] = (404, "Not Found"),
            [RejectionReason.BackendUnavailable] = (502, "Bad Gateway"),
            [RejectionReason.BackendTimeout] = (504, "Gateway Timeout"),
            [RejectionReason.HandshakeTimeout] = (408, "Request Timeout"),
        };

        private static readonly Dictionary<RejectionReason, byte[]> Answers = Statuses.ToDictionary(s => s.Key, s => HttpError(s.Value.Status, s.Value.Text));

        public override bool Tls => false;

        public override bool AnswerExpected => true;

        public override bool RoutesEveryRequest => true;

        public override int Limit(SniProxyOptions options) => options.MaxHttpHeadBytes;

        public override RouteQuery? Judge(ReadOnlySpan<byte> received, bool roomLeft, IPAddress? client, SniProxyOptions options, out RejectionReason? rejection)
        {
            rejection = null;
            switch (HttpRequestHeadParser.Parse(received, options.MaxHttpHeadBytes, out HttpRequestHead? head))
            {
                case HttpHeadStatus.Complete:
                    return head!.ToQuery(client);
                case HttpHeadStatus.Incomplete when roomLeft:
                    return null;
                case HttpHeadStatus.Http2Preface:
                    rejection = RejectionReason.Http2Preface;
                    return null;
                default:
                    rejection = RejectionReason.BadRequest;
                    return null;
            }
        }

        public override byte[]? Answer(RejectionReason reason) => Answers.TryGetValue(reason, out byte[]? answer) ? answer : null;

        public override int Status(RejectionReason reason) => Statuses.TryGetValue(reason, out var status) ? status.Status : 0;

        private static byte[] HttpError(int status, string text)
        {
            string body = $"{status} {text}\n";
            return Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {text}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
        }
    }

    /// <summary>A plain port: nothing is read; the client address is all a router sees.</summary>
    private sealed class NothingToRead : FirstBytesReader
    {
        public static readonly NothingToRead Instance = new();

        public override bool Tls => false;

        public override bool AnswerExpected => false;

        public override int Limit(SniProxyOptions options) => 0;

        public override RouteQuery? Judge(ReadOnlySpan<byte> received, bool roomLeft, IPAddress? client, SniProxyOptions options, out RejectionReason? rejection)
        {
            rejection = null;
            return new RouteQuery(null, client, Array.Empty<string>());
        }

        public override RejectionReason NoRoute(in RouteQuery query) => RejectionReason.NoRoute;

        public override byte[]? Answer(RejectionReason reason) => null;
    }
}

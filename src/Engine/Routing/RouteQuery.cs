using System;
using System.Collections.Generic;
using System.Net;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Routing;

/// <summary>Three-valued truth: a rule over the name alone cannot decide Path, Header and the like.</summary>
public enum Truth
{
    False,
    True,
    /// <summary>Decided by something the query does not carry (a path, a header, an unknown client address).</summary>
    Unknown,
}

/// <summary>
/// What a router sees of a connection before it picks: the server name (SNI, or the Host header
/// of a plain request), the client's address and the ALPN protocols offered. A null address or
/// ALPN list means "not known", which makes ClientIP and ALPN matchers <see cref="Truth.Unknown"/>.
/// </summary>
public readonly struct RouteQuery
{
    public RouteQuery(string? serverName, IPAddress? clientAddress = null, IReadOnlyList<string>? alpn = null)
        : this(serverName ?? string.Empty, serverName ?? string.Empty, serverName ?? string.Empty, clientAddress, alpn)
    {
    }

    private RouteQuery(string serverName, string hostName, string receivedName, IPAddress? clientAddress, IReadOnlyList<string>? alpn, bool nameUnroutable = false)
    {
        NameUnroutable = nameUnroutable;
        ServerName = serverName;
        HostName = hostName;
        ReceivedName = receivedName;
        ClientAddress = clientAddress is { IsIPv4MappedToIPv6: true } ? clientAddress.MapToIPv4() : clientAddress;
        Alpn = alpn;
    }

    /// <summary>
    /// The query for a connection as it arrives: the SNI of a ClientHello, or the Host header of a
    /// plain request (its port removed), lowercased, without a trailing dot.
    /// </summary>
    public static RouteQuery FromConnection(string? name, bool tls, IPAddress? clientAddress, IReadOnlyList<string>? alpn)
    {
        string received = (name ?? string.Empty).ToLowerInvariant();
        string withoutDot = received.EndsWith('.') ? received.Substring(0, received.Length - 1) : received;

        // A TLS server name has no trailing dot (RFC 6066), and is not sent for an address at all; the
        // Host header of the request inside keeps both, and HostRegexp sees it as it came.
        // An address is a dotted quad or a colon form, as AddressRules reads one: 10.0.0.1. is a name.
        string serverName = tls && AddressRules.TryNormalize(received, out _) ? string.Empty : withoutDot;
        return new RouteQuery(serverName, withoutDot, received, clientAddress, alpn);
    }

    /// <summary>
    /// A connection whose name has bytes no host name has (a control character, a space, non-ASCII):
    /// no rule that compares names matches it; only a catch-all (<c>HostSNI(`*`)</c>, <c>Host(`*`)</c>,
    /// a router that names no host) can take it.
    /// </summary>
    public static RouteQuery WithUnroutableName(IPAddress? clientAddress, IReadOnlyList<string>? alpn) =>
        new(string.Empty, string.Empty, string.Empty, clientAddress, alpn, nameUnroutable: true);

    /// <summary>What a TCP router without TLS sees: no name and no ALPN, only the client.</summary>
    internal RouteQuery WithoutName() => new(string.Empty, string.Empty, string.Empty, ClientAddress, Array.Empty<string>());

    /// <summary>The TLS server name (or, for a plain request, the host name), lowercase ASCII without a trailing dot; empty when the client sent none.</summary>
    public string ServerName { get; }

    /// <summary>The Host header without its port and trailing dot, lowercased: what Host compares.</summary>
    public string HostName { get; }

    /// <summary>The Host header as received, lowercased: what HostRegexp matches.</summary>
    public string ReceivedName { get; }

    public IPAddress? ClientAddress { get; }

    /// <summary>The client sent a name, but one no rule that compares names may match.</summary>
    public bool NameUnroutable { get; }

    public IReadOnlyList<string>? Alpn { get; }
}

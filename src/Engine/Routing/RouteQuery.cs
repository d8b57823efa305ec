using System.Collections.Generic;
using System.Net;

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
    {
        ServerName = serverName ?? string.Empty;
        ClientAddress = clientAddress is { IsIPv4MappedToIPv6: true } ? clientAddress.MapToIPv4() : clientAddress;
        Alpn = alpn;
    }

    /// <summary>Lowercase ASCII without a trailing dot; empty when the client sent none.</summary>
    public string ServerName { get; }

    public IPAddress? ClientAddress { get; }

    public IReadOnlyList<string>? Alpn { get; }
}

using System;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose;

/// <summary>
/// One or more host names of the private cluster published through the cloud cluster:
/// HTTP routed by Host header and HTTPS routed by SNI with TLS passthrough.
/// Instances are immutable; <c>New-ExposedHost</c> normalises and validates them.
/// </summary>
public sealed class ExposedHost : IExposeResource, IEquatable<ExposedHost>
{
    public const string DefaultNamespace = "default";
    public const string DefaultHttpEntryPoint = "web";
    public const string DefaultHttpsEntryPoint = "websecure";
    public const int DefaultHttpPort = 80;
    public const int DefaultHttpsPort = 443;

    private readonly string[] hostnames;
    private readonly string[] targetAddresses;

    public ExposedHost(
        string name,
        IEnumerable<string> hostname,
        IEnumerable<string> targetAddress,
        string @namespace = DefaultNamespace,
        int httpPort = DefaultHttpPort,
        int httpsPort = DefaultHttpsPort,
        int targetHttpPort = DefaultHttpPort,
        int targetHttpsPort = DefaultHttpsPort,
        string httpEntryPoint = DefaultHttpEntryPoint,
        string httpsEntryPoint = DefaultHttpsEntryPoint,
        ProxyProtocolVersion proxyProtocol = ProxyProtocolVersion.None,
        ExposeFlavor flavor = ExposeFlavor.TraefikV3)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        hostnames = (hostname ?? throw new ArgumentNullException(nameof(hostname))).ToArray();
        targetAddresses = (targetAddress ?? throw new ArgumentNullException(nameof(targetAddress))).ToArray();
        Namespace = @namespace ?? throw new ArgumentNullException(nameof(@namespace));
        HttpPort = httpPort;
        HttpsPort = httpsPort;
        TargetHttpPort = targetHttpPort;
        TargetHttpsPort = targetHttpsPort;
        HttpEntryPoint = httpEntryPoint ?? throw new ArgumentNullException(nameof(httpEntryPoint));
        HttpsEntryPoint = httpsEntryPoint ?? throw new ArgumentNullException(nameof(httpsEntryPoint));
        ProxyProtocol = proxyProtocol;
        Flavor = flavor;
    }

    /// <summary>The Service name in the cloud cluster; the other objects are named after it.</summary>
    public string Name { get; }

    public string Namespace { get; }

    /// <summary>Exact names and <c>*.name</c> wildcards (one label), lowercase ASCII (IDN as punycode).</summary>
    public IReadOnlyList<string> Hostname => hostnames;

    /// <summary>IPv4 or IPv6 addresses of the private cluster's ingress.</summary>
    public IReadOnlyList<string> TargetAddress => targetAddresses;

    /// <summary>Public HTTP port (the port of <see cref="HttpEntryPoint"/>, or of the local forwarder).</summary>
    public int HttpPort { get; }

    /// <summary>Public HTTPS port (the port of <see cref="HttpsEntryPoint"/>, or of the local forwarder).</summary>
    public int HttpsPort { get; }

    public int TargetHttpPort { get; }

    public int TargetHttpsPort { get; }

    public string HttpEntryPoint { get; }

    public string HttpsEntryPoint { get; }

    /// <summary>PROXY protocol toward the target for the TLS passthrough leg.</summary>
    public ProxyProtocolVersion ProxyProtocol { get; }

    public ExposeFlavor Flavor { get; }

    public bool Equals(ExposedHost? other) =>
        other is not null
        && Name == other.Name
        && Namespace == other.Namespace
        && ModelEquality.SameSet(hostnames, other.hostnames)
        && ModelEquality.SameSet(targetAddresses, other.targetAddresses)
        && HttpPort == other.HttpPort
        && HttpsPort == other.HttpsPort
        && TargetHttpPort == other.TargetHttpPort
        && TargetHttpsPort == other.TargetHttpsPort
        && HttpEntryPoint == other.HttpEntryPoint
        && HttpsEntryPoint == other.HttpsEntryPoint
        && ProxyProtocol == other.ProxyProtocol
        && Flavor == other.Flavor;

    public override bool Equals(object? obj) => obj is ExposedHost other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Name, Namespace, hostnames.Length, targetAddresses.Length, Flavor);

    public override string ToString() =>
        $"{Namespace}/{Name}: {string.Join(", ", hostnames)} -> {string.Join(", ", targetAddresses)}";
}

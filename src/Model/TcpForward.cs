using System;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose;

/// <summary>
/// A public TCP port of the cloud cluster forwarded to an address and port of the private network.
/// Plain TCP carries no name, so the port alone decides where a connection goes.
/// </summary>
public sealed class TcpForward : IExposeResource, IEquatable<TcpForward>
{
    private readonly string[] targetAddresses;

    public TcpForward(
        string name,
        int port,
        IEnumerable<string> targetAddress,
        int targetPort,
        string @namespace = ExposedHost.DefaultNamespace,
        TcpForwardMode mode = TcpForwardMode.TraefikEntryPoint,
        string? entryPoint = null,
        ProxyProtocolVersion proxyProtocol = ProxyProtocolVersion.None,
        ExposeFlavor flavor = ExposeFlavor.TraefikV3)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        Port = port;
        targetAddresses = (targetAddress ?? throw new ArgumentNullException(nameof(targetAddress))).ToArray();
        TargetPort = targetPort;
        Namespace = @namespace ?? throw new ArgumentNullException(nameof(@namespace));
        Mode = mode;
        EntryPoint = string.IsNullOrEmpty(entryPoint) ? DefaultEntryPoint(name) : entryPoint!;
        ProxyProtocol = proxyProtocol;
        Flavor = flavor;
    }

    public string Name { get; }

    public string Namespace { get; }

    /// <summary>The public port on the cloud side.</summary>
    public int Port { get; }

    public IReadOnlyList<string> TargetAddress => targetAddresses;

    public int TargetPort { get; }

    public TcpForwardMode Mode { get; }

    /// <summary>The Traefik entry point (or Gateway listener) carrying this port; unused in LoadBalancer mode.</summary>
    public string EntryPoint { get; }

    public ProxyProtocolVersion ProxyProtocol { get; }

    public ExposeFlavor Flavor { get; }

    /// <summary>The entry point is named after the forward, as Kubernetes port names allow at most 15 characters.</summary>
    public static string DefaultEntryPoint(string name) => name ?? string.Empty;

    public bool Equals(TcpForward? other) =>
        other is not null
        && Name == other.Name
        && Namespace == other.Namespace
        && Port == other.Port
        && ModelEquality.SameSet(targetAddresses, other.targetAddresses)
        && TargetPort == other.TargetPort
        && Mode == other.Mode
        && EntryPoint == other.EntryPoint
        && ProxyProtocol == other.ProxyProtocol
        && Flavor == other.Flavor;

    public override bool Equals(object? obj) => obj is TcpForward other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Name, Namespace, Port, TargetPort, Mode, Flavor);

    public override string ToString() =>
        $"{Namespace}/{Name}: :{Port} -> {string.Join(", ", targetAddresses)}:{TargetPort}";
}

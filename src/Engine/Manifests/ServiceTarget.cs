using System.Collections.Generic;
using ClusterExpose.Engine.Routing;

namespace ClusterExpose.Engine.Manifests;

/// <summary>
/// Where the routes naming one Service lead: the Service's target addresses and, per kind of router
/// that names it, the entry point, the public port, the target port and PROXY protocol. Model
/// objects and routes files written by anyone both come down to these, so the proxy joins every
/// router to its backend, and opens its listeners, one way.
/// </summary>
public sealed record ServiceTarget(string Namespace, string Name, IReadOnlyList<string> Addresses, IReadOnlyList<ServicePortTarget> Ports)
{
    public static ServiceTarget Of(IExposeResource resource) => resource switch
    {
        ExposedHost host => new ServiceTarget(host.Namespace, host.Name, host.TargetAddress, new[]
        {
            new ServicePortTarget(RouterProtocol.Http, false, host.HttpEntryPoint, host.HttpPort, host.TargetHttpPort, ProxyProtocolVersion.None),
            new ServicePortTarget(RouterProtocol.Tcp, true, host.HttpsEntryPoint, host.HttpsPort, host.TargetHttpsPort, host.ProxyProtocol),
        }),
        TcpForward forward => new ServiceTarget(forward.Namespace, forward.Name, forward.TargetAddress, new[]
        {
            new ServicePortTarget(RouterProtocol.Tcp, false, forward.EntryPoint, forward.Port, forward.TargetPort, forward.ProxyProtocol),
        }),
        _ => throw new System.ArgumentException($"Not an exposure: {resource.GetType().Name}", nameof(resource)),
    };
}

/// <summary>One kind of router naming a Service: HTTP, TCP with TLS (by SNI), or TCP without TLS (a port).</summary>
public sealed record ServicePortTarget(RouterProtocol Protocol, bool Tls, string EntryPoint, int PublicPort, int TargetPort, ProxyProtocolVersion ProxyProtocol);

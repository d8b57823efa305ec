using System.Linq;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Cluster;

/// <summary>
/// The same exposure rendered for another flavor: what publishing does when the cluster serves a
/// different route API, and how Gateway API objects are checked and served as Traefik routes.
/// </summary>
public static class ModelRetarget
{
    public static IExposeResource WithFlavor(IExposeResource resource, ExposeFlavor flavor) => resource switch
    {
        _ when resource.Flavor == flavor => resource,
        ExposedHost host => new ExposedHost(host.Name, Hostnames(host, flavor), host.TargetAddress, host.Namespace, host.HttpPort, host.HttpsPort,
            host.TargetHttpPort, host.TargetHttpsPort, host.HttpEntryPoint, host.HttpsEntryPoint, host.ProxyProtocol, flavor),
        TcpForward forward => new TcpForward(forward.Name, forward.Port, forward.TargetAddress, forward.TargetPort, forward.Namespace,
            forward.Mode, forward.EntryPoint, forward.ProxyProtocol, flavor),
        _ => resource,
    };

    /// <summary>
    /// A Gateway API hostname <c>*.x</c> matches at any depth, so a one-label wildcard going to or
    /// coming from the Gateway API is the any-depth one it is there.
    /// </summary>
    private static string[] Hostnames(ExposedHost host, ExposeFlavor flavor) =>
        host.Flavor != ExposeFlavor.GatewayApi && flavor != ExposeFlavor.GatewayApi
            ? host.Hostname.ToArray()
            : host.Hostname.Select(n => HostnameNormalizer.IsWildcard(n) ? HostnameNormalizer.AnyDepthPrefix + HostnameNormalizer.WildcardDomain(n) : n).Distinct().ToArray();
}

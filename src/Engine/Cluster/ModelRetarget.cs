namespace ClusterExpose.Engine.Cluster;

/// <summary>The same exposure rendered for another flavor: what publishing does when the cluster serves a different route API.</summary>
public static class ModelRetarget
{
    public static IExposeResource WithFlavor(IExposeResource resource, ExposeFlavor flavor) => resource switch
    {
        _ when resource.Flavor == flavor => resource,
        ExposedHost host => new ExposedHost(host.Name, host.Hostname, host.TargetAddress, host.Namespace, host.HttpPort, host.HttpsPort,
            host.TargetHttpPort, host.TargetHttpsPort, host.HttpEntryPoint, host.HttpsEntryPoint, host.ProxyProtocol, flavor),
        TcpForward forward => new TcpForward(forward.Name, forward.Port, forward.TargetAddress, forward.TargetPort, forward.Namespace,
            forward.Mode, forward.EntryPoint, forward.ProxyProtocol, flavor),
        _ => resource,
    };
}

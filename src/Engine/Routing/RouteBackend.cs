using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace ClusterExpose.Engine.Routing;

/// <summary>
/// Where a router's connections go when something other than Traefik serves it: the addresses of
/// the Service it names (from the model, or from the Service's EndpointSlices or Endpoints), the
/// port on them, and the PROXY protocol header to send first.
/// </summary>
public sealed class RouteBackend
{
    private readonly string description;

    public RouteBackend(IReadOnlyList<IPEndPoint> targets, ProxyProtocolVersion proxyProtocol)
    {
        Targets = targets;
        ProxyProtocol = proxyProtocol;
        description = string.Join(", ", targets.Select(t => t.ToString()));
    }

    public IReadOnlyList<IPEndPoint> Targets { get; }

    public ProxyProtocolVersion ProxyProtocol { get; }

    public override string ToString() => description;
}

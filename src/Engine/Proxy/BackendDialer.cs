using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Proxy.Transport;
using ClusterExpose.Engine.Routing;

namespace ClusterExpose.Engine.Proxy;

/// <summary>Whoever connects to a backend: told of the socket being connected, so that an abort can reset it.</summary>
internal interface IBackendHolder
{
    bool Aborted { get; }

    void Dialing(ProxySocket? socket);
}

/// <summary>
/// Opens a connection to one of a route's targets (starting at a rotating one, each with the connect
/// timeout) and sends the PROXY header the route asks for: the same for a relayed connection and for
/// each backend connection of an HTTP session.
/// </summary>
internal static class BackendDialer
{
    /// <summary>A connected socket, or null and why not.</summary>
    public static async Task<(ProxySocket? Socket, RejectionReason Failure)> ConnectAsync(SocketEngine engine, RouteBackend target, TimeSpan timeout, IBackendHolder holder)
    {
        RejectionReason failure = RejectionReason.BackendUnavailable;
        int start = target.Targets.Count > 1 ? (int)((uint)Environment.TickCount % (uint)target.Targets.Count) : 0;
        for (int i = 0; i < target.Targets.Count && !holder.Aborted; i++)
        {
            IPEndPoint endpoint = target.Targets[(start + i) % target.Targets.Count];
            ProxySocket socket = engine.Create(endpoint.AddressFamily);
            holder.Dialing(socket);
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await socket.ConnectAsync(endpoint, deadline.Token).ConfigureAwait(false);
                if (!holder.Aborted)
                {
                    return (socket, failure);
                }
            }
            catch (OperationCanceledException)
            {
                failure = RejectionReason.BackendTimeout;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
            }

            holder.Dialing(null);
            socket.Dispose();
        }

        return (null, failure);
    }

    /// <summary>Sends the PROXY header the route asks for, once per backend connection; false when the backend failed.</summary>
    public static async ValueTask<bool> SendProxyHeaderAsync(ProxySocket backend, RouteBackend target, ProxySocket client)
    {
        if (target.ProxyProtocol == ProxyProtocolVersion.None || client.RemoteEndPoint is not IPEndPoint source || client.LocalEndPoint is not IPEndPoint local)
        {
            return true;
        }

        return await SocketPump.SendAllAsync(backend, ProxyProtocolHeader.Build(target.ProxyProtocol, source, local), CancellationToken.None).ConfigureAwait(false);
    }
}

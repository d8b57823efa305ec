using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Proxy.Transport;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// One listening socket and its accept loop. Accept errors (file descriptors exhausted, a reset in
/// the backlog) back off from 5 ms doubling to 1 s instead of spinning; disposal ends the loop cleanly.
/// </summary>
internal sealed class ProxyListener
{
    private const int FirstBackoffMs = 5;
    private const int MaxBackoffMs = 1000;

    private readonly SniProxyServer server;
    private readonly Socket socket;
    private readonly IReadOnlyList<SocketAcceptor> acceptors;
    private readonly CancellationTokenSource stopping = new();
    private Task? acceptLoops;

    private ProxyListener(SniProxyServer server, ListenerSpec spec, Socket socket)
    {
        this.server = server;
        this.socket = socket;
        acceptors = server.SocketEngine.Listen(socket);
        Spec = spec;
        Endpoint = socket.LocalEndPoint?.ToString() ?? spec.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // A listener a reload stops and a later one starts again continues from its old totals.
        Counters = server.Counters.Listener($"{spec.Kind} {spec.EntryPoint} {Endpoint}");
    }

    public ListenerSpec Spec { get; }

    public string Endpoint { get; }

    public ListenerCounters Counters { get; }

    /// <summary>Binds and listens; throws <see cref="SocketException"/> when the address or port cannot be had.</summary>
    public static ProxyListener Bind(SniProxyServer server, ListenerSpec spec, IPAddress address, int backlog)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(new IPEndPoint(address, spec.Port));
            socket.Listen(backlog);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new ProxyListener(server, spec, socket);
    }

    /// <summary>Starts one accept loop per acceptor the engine gave (one per event loop thread).</summary>
    public void Start() => acceptLoops = Task.WhenAll(acceptors.Select(AcceptLoopAsync));

    /// <summary>Stops accepting; connections already accepted carry on.</summary>
    public async Task StopAsync()
    {
        stopping.Cancel();
        foreach (SocketAcceptor acceptor in acceptors)
        {
            acceptor.Dispose();
        }

        socket.Dispose();
        if (acceptLoops is not null)
        {
            await acceptLoops.ConfigureAwait(false);
        }

        stopping.Dispose();
    }

    private async Task AcceptLoopAsync(SocketAcceptor acceptor)
    {
        int backoff = FirstBackoffMs;
        long lastFailure = long.MinValue / 2;
        while (!stopping.IsCancellationRequested)
        {
            ProxySocket accepted;
            try
            {
                accepted = await acceptor.AcceptAsync(stopping.Token).ConfigureAwait(false);

                // One success between failures (a relay closing frees a descriptor) is not recovery:
                // the back-off starts over only after a second without failures.
                if (Environment.TickCount64 - lastFailure > MaxBackoffMs)
                {
                    backoff = FirstBackoffMs;
                }
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                lastFailure = Environment.TickCount64;
                ProxyLog.AcceptFailed(server.Logger, Endpoint, backoff, exception);
                try
                {
                    await Task.Delay(backoff, stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = Math.Min(backoff * 2, MaxBackoffMs);
                continue;
            }

            server.Admit(this, accepted);
        }
    }
}

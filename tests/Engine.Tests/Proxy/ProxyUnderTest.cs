using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Proxy.Transport;
using ClusterExpose.Engine.Routing;
using Microsoft.Extensions.Logging;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>A real proxy on 127.0.0.1 (ports chosen by the system), stopped on dispose.</summary>
internal sealed class ProxyUnderTest : IAsyncDisposable
{
    private static int nextId = 1000;

    private ProxyUnderTest(SniProxyServer server, IReadOnlyList<IExposeResource> resources)
    {
        Server = server;
        Resources = resources;
    }

    public SniProxyServer Server { get; }

    /// <summary>What the proxy was started with.</summary>
    public IReadOnlyList<IExposeResource> Resources { get; }

    public static ProxyUnderTest Start(IReadOnlyList<IExposeResource> resources, Action<SniProxyOptions>? configure = null) =>
        Start(new RouteSource(resources), configure);

    /// <summary>A proxy whose connections one engine carries.</summary>
    public static ProxyUnderTest Start(SocketEngineKind engine, IReadOnlyList<IExposeResource> resources, Action<SniProxyOptions>? configure = null) =>
        Start(new RouteSource(resources), o =>
        {
            o.SocketEngine = engine;
            configure?.Invoke(o);
        });

    public static ProxyUnderTest Start(RouteSource source, Action<SniProxyOptions>? configure = null)
    {
        var options = new SniProxyOptions { ListenAddresses = new[] { IPAddress.Loopback }, HttpPort = 0, HttpsPort = 0 };
        configure?.Invoke(options);
        ProxyRouteSet routes = ProxyRouteSet.Build(source, options, out IReadOnlyList<ExposeProblem> errors)
            ?? throw new InvalidOperationException(string.Join("; ", errors.Select(e => e.Message)));
        return new ProxyUnderTest(SniProxyServer.Start(Interlocked.Increment(ref nextId), routes, options, new RecentEventsLogger(500, LogLevel.Debug)), source.Resources);
    }

    public int Port(ListenerKind kind, string? entryPoint = null) =>
        Server.Describe().Listeners
            .Where(l => l.Kind == kind.ToString() && (entryPoint is null || l.EntryPoint == entryPoint))
            .Select(l => IPEndPoint.Parse(l.Endpoint).Port)
            .First();

    public long Rejections(RejectionReason reason) =>
        Server.Describe().Rejections.TryGetValue(reason.ToString(), out long count) ? count : 0;

    public async ValueTask DisposeAsync() => await Server.StopAsync(TimeSpan.FromSeconds(2));

    public static ExposedHost Host(string name, string[] hostnames, int httpPort, int httpsPort, ProxyProtocolVersion proxyProtocol = ProxyProtocolVersion.None)
    {
        Validated<ExposedHost> host = ExposeFactory.CreateHost(name, hostnames, false, new[] { "127.0.0.1" }, "default", 80, 443, httpPort, httpsPort, "web", "websecure", proxyProtocol);
        return host.Value ?? throw new InvalidOperationException(string.Join("; ", host.Errors.Select(e => e.Message)));
    }

    public static TcpForward Forward(string name, int publicPort, int targetPort, ProxyProtocolVersion proxyProtocol = ProxyProtocolVersion.None)
    {
        Validated<TcpForward> forward = ExposeFactory.CreateForward(name, publicPort, new[] { "127.0.0.1" }, targetPort, "default", TcpForwardMode.TraefikEntryPoint, null, proxyProtocol);
        return forward.Value ?? throw new InvalidOperationException(string.Join("; ", forward.Errors.Select(e => e.Message)));
    }

    /// <summary>A TLS handshake through the proxy; the subject of the certificate says which backend answered.</summary>
    public static async Task<string> HandshakeAsync(int port, string serverName, params string[] alpn)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var tls = new SslStream(client.GetStream(), false, (_, _, _, _) => true);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            ApplicationProtocols = alpn.Select(p => new SslApplicationProtocol(p)).ToList(),
        }, deadline.Token);
        return new X509Certificate2(tls.RemoteCertificate!).Subject;
    }

    /// <summary>Sends raw bytes and reads everything until the proxy or the backend closes.</summary>
    public static async Task<string> ExchangeAsync(int port, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var reply = new System.IO.MemoryStream();
        await stream.CopyToAsync(reply, deadline.Token);
        return Encoding.Latin1.GetString(reply.ToArray());
    }
}

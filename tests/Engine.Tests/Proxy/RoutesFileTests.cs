using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Tests.Probes;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>
/// A hand-written routes file (an exact name with an explicit priority, an any-depth regexp, ClientIP
/// rules and a HostSNI(*) fallback) served by a real proxy on 127.0.0.1: real TLS handshakes reach
/// the backends Test-SniRoute names for the same file. Which backend answered is read from its certificate.
/// </summary>
public sealed class RoutesFileTests : IAsyncLifetime
{
    private static readonly string[] Backends = { "site", "deep", "office", "fallback" };
    private readonly Dictionary<string, X509Certificate2> certificates = Backends.ToDictionary(b => b, b => TestCertificates.Create(b, b + ".example"));
    private readonly Dictionary<string, LoopbackServer> servers = new();
    private string yaml = string.Empty;
    private ProxyUnderTest proxy = null!;

    public Task InitializeAsync()
    {
        foreach (string backend in Backends)
        {
            servers[backend] = LoopbackServer.Tls(certificates[backend], new Dictionary<string, X509Certificate2>());
        }

        yaml = string.Join("---\n", new[]
        {
            Route("site", "priority: 100", "HostSNI(`app.kl.test`)"),
            Route("deep", null, "HostSNIRegexp(`^.+\\.kl\\.test$`)"),
            Route("office", null, "ClientIP(`127.0.0.1`) && HostSNI(`office.example`)") + "    - match: ClientIP(`10.0.0.0/8`) && HostSNIRegexp(`^.+$`)\n      priority: 5000\n      services:\n        - name: office\n          port: 443\n",
            Route("fallback", null, "HostSNI(`*`)"),
        }.Concat(Backends.Select(b => Service(b, servers[b].Port))));

        ProxyRouteSource source = ProxyRouteSource.ReadText(yaml, "routes.yaml");
        Assert.Empty(source.Errors);
        Assert.Empty(source.Resources);
        proxy = ProxyUnderTest.Start(source);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await proxy.DisposeAsync();
        foreach (LoopbackServer server in servers.Values)
        {
            await server.DisposeAsync();
        }

        foreach (X509Certificate2 certificate in certificates.Values)
        {
            certificate.Dispose();
        }
    }

    [Theory]
    [InlineData("app.kl.test", "site")]       // its explicit priority 100 beats the regexp's length (33)
    [InlineData("x.y.kl.test", "deep")]       // any depth; the 10.0.0.0/8 rule above it needs another client
    [InlineData("office.example", "office")]  // ClientIP matches 127.0.0.1
    [InlineData("other.example", "fallback")] // HostSNI(`*`) last
    public async Task ServesTheFileAsTestSniRouteDecidesIt(string serverName, string expected)
    {
        // Test-SniRoute's reading of the same file, for the same client.
        var reading = new RouterReading();
        RouterReader.ReadAll(RouterReader.FindRouteObjects(yaml, "routes.yaml", reading), Array.Empty<IExposeResource>(), null, reading);
        RouteDecision decision = RouteTable.Build(reading.Routers).Decide("websecure", RouteQuery.FromConnection(serverName, true, IPAddress.Loopback, new[] { "h2" }), tls: true);
        Assert.Equal(expected, decision.Winner?.Definition.Service);

        Assert.Equal("CN=" + expected, await ProxyUnderTest.HandshakeAsync(proxy.Port(ListenerKind.Tls), serverName, "h2"));
    }

    private static string Route(string service, string? priority, string rule) => $"""
        apiVersion: traefik.io/v1alpha1
        kind: IngressRouteTCP
        metadata:
          name: {service}
          namespace: apps
        spec:
          entryPoints: [websecure]
          tls:
            passthrough: true
          routes:
            - match: {rule}
        {(priority is null ? string.Empty : "      " + priority + "\n")}      services:
                - name: {service}
                  port: 443

        """;

    private static string Service(string name, int targetPort) => $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: {name}
          namespace: apps
        spec:
          ports:
            - name: https
              port: 443
              targetPort: {targetPort}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: {name}-ipv4
          namespace: apps
          labels:
            kubernetes.io/service-name: {name}
        addressType: IPv4
        endpoints:
          - addresses: [127.0.0.1]
        ports:
          - name: https
            port: {targetPort}

        """;
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using ClusterExpose.Engine.Cluster;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Tests.Probes;
using ClusterExpose.Engine.Yaml;
using ClusterExpose.FakeKubeApi;
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

        RouteSource source = RouteSource.FromText(yaml, "routes.yaml");
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
        RouteDecision decision = RouteSource.FromText(yaml, "routes.yaml").Load(RouteUse.Deciding).Table.Decide("websecure", RouteQuery.FromConnection(serverName, true, IPAddress.Loopback, new[] { "h2" }), tls: true);
        Assert.Equal(expected, decision.Winner?.Definition.Service);

        Assert.Equal("CN=" + expected, await ProxyUnderTest.HandshakeAsync(proxy.Port(ListenerKind.Tls), serverName, "h2"));
    }

    /// <summary>
    /// The same objects in a cluster (the in-process fake API server, which answers as the recorded
    /// kube-apiserver does), read by an account bound only by New-ExposeRoleManifest -ReadAllRoutes:
    /// the proxy serves them as it serves the file. A route with a middleware is said by name and not
    /// served; a Service no route names is neither read into the routes nor reported.
    /// </summary>
    [Fact]
    public async Task ServesTheSameRoutesReadFromACluster()
    {
        await using FakeApiServer cluster = await FakeApiServer.StartAsync(FakeRouteApis.TraefikV3);
        cluster.AddNamespace("apps");
        string extra = """
            apiVersion: traefik.io/v1alpha1
            kind: IngressRoute
            metadata:
              name: guarded
              namespace: apps
            spec:
              entryPoints: [web]
              routes:
                - match: Host(`guarded.kl.test`)
                  middlewares:
                    - name: allow-office
                  services:
                    - name: site
                      port: 443
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: unrelated
              namespace: apps
            spec:
              selector:
                app: unrelated
              ports:
                - port: 80
            """;
        foreach (System.Text.Json.Nodes.JsonObject item in FakeApiServer.ParseDocuments(yaml + "---\n" + extra))
        {
            cluster.Seed(item);
        }

        string folder = System.IO.Directory.CreateTempSubdirectory("clusterexpose-routes-").FullName;
        try
        {
            IReadOnlyList<YDocument> rbac = RbacManifestBuilder.Build(new RbacOptions { Namespace = "ci", ServiceAccount = "proxy", ReadAllRoutes = true }, out _);
            string token = cluster.AddAccount("system:serviceaccount:ci:proxy", FakeApiServer.ParseDocuments(YamlText.Write(rbac)));
            using ClusterSession session = ClusterConnection.Open(new ClusterConnectionOptions { KubeConfigPath = cluster.WriteKubeConfig(System.IO.Path.Combine(folder, "config"), token: token) });
            RouteSource source = ClusterRoutes.Read(session, ClusterDiscovery.Discover(session), withBackends: true);
            Assert.Empty(source.Errors);
            Assert.Equal(5, source.RouteObjects.Count);
            Assert.DoesNotContain(source.BackendWarnings, w => w.Contains("unrelated", StringComparison.Ordinal));

            LoadedRoutes loaded = source.Load(RouteUse.Serving);
            string warning = Assert.Single(loaded.Warnings);
            Assert.Contains("apps/guarded", warning, StringComparison.Ordinal);
            Assert.Contains("allow-office", warning, StringComparison.Ordinal);

            await using ProxyUnderTest served = ProxyUnderTest.Start(source);
            foreach (var (name, expected) in new[] { ("app.kl.test", "site"), ("x.y.kl.test", "deep"), ("office.example", "office"), ("other.example", "fallback") })
            {
                Assert.Equal("CN=" + expected, await ProxyUnderTest.HandshakeAsync(served.Port(ListenerKind.Tls), name, "h2"));
                Assert.Equal(expected, ClusterRoutes.Read(session, ClusterDiscovery.Discover(session), withBackends: false).Load(RouteUse.Deciding).Table
                    .Decide("websecure", RouteQuery.FromConnection(name, true, IPAddress.Loopback, new[] { "h2" }), tls: true).Winner?.Definition.Service);
            }

            // The guarded route wins its name and is refused, rather than forwarded without its middleware.
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, served.Port(ListenerKind.Http));
            System.Net.Sockets.NetworkStream stream = client.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: guarded.kl.test\r\n\r\n"));
            var answer = new byte[256];
            int read = await stream.ReadAsync(answer);
            Assert.StartsWith("HTTP/1.1 404", System.Text.Encoding.ASCII.GetString(answer, 0, read), StringComparison.Ordinal);
            Assert.Equal(1, served.Rejections(RejectionReason.UnknownName));
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
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

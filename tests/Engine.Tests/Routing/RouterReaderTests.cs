using System;
using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Rules;
using Xunit;

namespace ClusterExpose.Engine.Tests.Routing;

public sealed class RouterReaderTests
{
    private const string Foreign = """
        apiVersion: traefik.io/v1alpha1
        kind: IngressRoute
        metadata:
          name: blog
          namespace: web
        spec:
          entryPoints: [websecure]
          routes:
            - match: Host(`blog.example.top`)
              services:
                - name: blog
                  port: 8080
            - match: Host(`blog.example.top`) && PathPrefix(`/admin`)
              priority: 500
              services:
                - name: admin
                  port: http
          tls: {}
        ---
        apiVersion: traefik.io/v1alpha1
        kind: IngressRouteTCP
        metadata:
          name: legacy
        spec:
          entryPoints: [websecure]
          routes:
            - match: HostSNI(`a.example.top`, `b.example.top`)
              syntax: v2
              services:
                - name: legacy
                  port: 443
          tls:
            passthrough: true
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: unrelated
        """;

    [Fact]
    public void ReadsEveryRouteOfForeignObjectsWithItsSourceLine()
    {
        var reading = new RouterReading();
        IReadOnlyList<TraefikRouteObject> objects = RouteSource.FromText(Foreign, "routes.yaml").RouteObjects;
        RouterReader.ReadRouters(objects, TraefikVersion.V3, reading);

        Assert.Empty(reading.Errors);
        Assert.Collection(reading.Routers,
            r =>
            {
                Assert.Equal("web/blog#1", r.Name);
                Assert.Equal(RouterProtocol.Http, r.Protocol);
                Assert.Equal(RouterTls.Terminate, r.Tls);
                Assert.Equal("blog", r.Service);
                Assert.Equal(8080, r.Port);
                Assert.Equal("routes.yaml:9", r.Source);
            },
            r =>
            {
                Assert.Equal("web/blog#2", r.Name);
                Assert.Equal(500, r.ExplicitPriority);
                Assert.Null(r.Port);
            },
            r =>
            {
                Assert.Equal("default/legacy", r.Name);
                Assert.Equal(RouterTls.Passthrough, r.Tls);
                Assert.Equal(RuleSyntax.V2, r.Syntax);
            });

        RouteTable table = RouteTable.Build(reading.Routers);
        Assert.Equal("default/legacy", table.Decide("websecure", new RouteQuery("b.example.top"), tls: true).Winner?.Name);
        Assert.Equal("web/blog#1", table.Decide("websecure", new RouteQuery("blog.example.top"), tls: true).Winner?.Name);
    }

    [Fact]
    public void TraefikV3IgnoresTheLegacyApiGroup()
    {
        string yaml = Foreign.Replace("traefik.io/v1alpha1", "traefik.containo.us/v1alpha1");
        var reading = new RouterReading();
        IReadOnlyList<TraefikRouteObject> objects = RouteSource.FromText(yaml, "old.yaml").RouteObjects;
        Assert.Equal(TraefikVersion.V2, RouterReader.InferVersion(objects, new List<IExposeResource>()));

        RouterReader.ReadRouters(objects, TraefikVersion.V3, reading);
        Assert.Empty(reading.Routers);
        Assert.Equal(2, reading.Warnings.Count(w => w.Contains("no longer reads", System.StringComparison.Ordinal)));

        var v2 = new RouterReading();
        RouterReader.ReadRouters(objects, TraefikVersion.V2, v2);
        Assert.Equal(3, v2.Routers.Count);
        Assert.All(v2.Routers, r => Assert.Equal(RuleSyntax.V2, r.Syntax));
    }

    [Fact]
    public void OpensKubectlListsAndReportsFilesWithoutRoutes()
    {
        string list = "apiVersion: v1\nkind: List\nitems:\n" + string.Join("\n", Foreign.Split("---")[0].Split('\n').Select((l, i) => (i == 0 ? "- " : "  ") + l));
        Assert.Single(RouteSource.FromText(list, "list.yaml").RouteObjects);

        RouteSource empty = RouteSource.FromText("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n", "svc.yaml");
        Assert.True(empty.IsEmpty);
        Assert.Contains(empty.Warnings, w => w.Contains("svc.yaml holds no IngressRoute", System.StringComparison.Ordinal));

        RouteSource broken = RouteSource.FromText("a: [", "broken.yaml");
        Assert.Empty(broken.RouteObjects);
        Assert.Equal("ManifestSyntaxError", Assert.Single(broken.Errors).ErrorId);
    }

    [Fact]
    public void ModelObjectsAreCheckedAsTheyWouldBeApplied()
    {
        var host = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, true, new[] { "10.21.22.65" }, "default", 80, 443, 80, 443, "web", "websecure", ProxyProtocolVersion.None, ExposeFlavor.GatewayApi).Value!;
        var forward = ExposeFactory.CreateForward("pg", 5432, new[] { "10.21.22.70" }, 5432, "default", TcpForwardMode.TraefikEntryPoint, null, ProxyProtocolVersion.None, ExposeFlavor.TraefikV3).Value!;
        var reading = new RouterReading();
        IReadOnlyList<TraefikRouteObject> objects = RouterReader.FromResources(new IExposeResource[] { host, forward }, reading);
        RouterReader.ReadRouters(objects, TraefikVersion.V3, reading);

        Assert.Empty(reading.Errors);
        // Exact names and wildcards are separate routes, each with its own priority.
        Assert.Equal(new[] { "default/k65-http#1", "default/k65-http#2", "default/k65-https#1", "default/k65-https#2", "default/pg-tcp" }, reading.Routers.Select(r => r.Name).OrderBy(n => n, StringComparer.Ordinal));
        RouteTable table = RouteTable.Build(reading.Routers);
        Assert.Empty(table.Rejected);
        Assert.Equal(new[] { "web", "websecure", "pg" }, table.EntryPoints);
        Assert.False(table.RoutesByName("pg"));
        Assert.Equal(RouteKind.Tcp, table.Decide("pg", new RouteQuery("anything.example"), tls: false).Kind);
        Assert.Empty(RouteLinter.Lint(table));
    }

    [Fact]
    public void AnInvalidModelSetReportsItsErrorsAndReadsNothing()
    {
        var one = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { "10.21.22.65" }, "default", 80, 443, 80, 443, "web", "websecure", ProxyProtocolVersion.None, ExposeFlavor.TraefikV3).Value!;
        var reading = new RouterReading();
        Assert.Empty(RouterReader.FromResources(new IExposeResource[] { one, one }, reading));
        Assert.NotEmpty(reading.Errors);
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading.Tasks;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Routing;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

public sealed class SniProxyHostTests
{
    private static readonly SniProxyOptions Loopback = new() { ListenAddresses = new[] { IPAddress.Loopback }, HttpPort = 0, HttpsPort = 0 };

    private static string Yaml(params IExposeResource[] resources) =>
        ManifestBuilder.BuildYaml(resources, new ManifestOptions { ForLocalForwarding = true }, out _);

    [Fact]
    public async Task AWatchedRoutesFileIsReloadedAndABrokenOneIsRefused()
    {
        string folder = Path.Combine(Path.GetTempPath(), "clusterexpose-watch-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string file = Path.Combine(folder, "routes.yaml");
        ExposedHost home = ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, 8080, 8443);
        ExposedHost nas = ProxyUnderTest.Host("nas", new[] { "nas.example.top" }, 8080, 8443);
        File.WriteAllText(file, Yaml(home));
        SniProxyInfo started = SniProxyHost.Start(SniProxyHost.Prepare(new RouteSource(new IExposeResource[] { home }), Loopback, out _)!, Loopback, file, out IReadOnlyList<ExposeProblem> errors)!;
        try
        {
            Assert.Empty(errors);
            Assert.Equal(2, started.RouteCount);

            File.WriteAllText(file, Yaml(home, nas));
            await ProxyRoutingTests.WaitUntil(() => SniProxyHost.Describe(started.Id).RouteCount == 4);

            File.WriteAllText(file, "kind: [broken");
            await ProxyRoutingTests.WaitUntil(() => SniProxyHost.Describe(started.Id).RecentEvents.Any(e => e.Contains("ReloadRejected", StringComparison.Ordinal)));
            Assert.Equal(4, SniProxyHost.Describe(started.Id).RouteCount);
        }
        finally
        {
            SniProxyHost.Stop(started.Id, TimeSpan.Zero);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void StartingOnATakenPortLeavesNothingListening()
    {
        var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            var options = new SniProxyOptions { ListenAddresses = new[] { IPAddress.Loopback }, HttpPort = 0, HttpsPort = ((IPEndPoint)taken.LocalEndpoint).Port };
            int before = SniProxyHost.List().Count;
            Assert.Null(SniProxyHost.Start(SniProxyHost.Prepare(new RouteSource(new IExposeResource[] { ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, 1, 2) }), options, out _)!, options, null, out IReadOnlyList<ExposeProblem> errors));
            Assert.Equal("ListenFailed", Assert.Single(errors).ErrorId);
            Assert.Equal(before, SniProxyHost.List().Count);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public void PortsThatClashAreRefusedBeforeAnythingListens()
    {
        var options = new SniProxyOptions { ListenAddresses = new[] { IPAddress.Loopback }, HttpPort = 18080, HttpsPort = 18080 };
        Assert.Null(ProxyRouteSet.Build(new IExposeResource[] { ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, 1, 2) }, options, out IReadOnlyList<ExposeProblem> errors));
        Assert.Equal("DuplicatePublicPort", Assert.Single(errors).ErrorId);
        Assert.Equal("InvalidProxyOption", Assert.Throws<ClusterExposeException>(() =>
            SniProxyServer.Start(1, ProxyRouteSet.Build(new IExposeResource[] { ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, 1, 2) }, Loopback, out _)!, new SniProxyOptions { MaxHelloBytes = 100 })).ErrorId);
    }
}

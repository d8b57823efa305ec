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

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename(string from, string to);

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
        SniProxyInfo started = SniProxyHost.Start(SniProxyHost.Prepare(new RouteSource(new IExposeResource[] { home }), Loopback, out _)!, Loopback, new RouteFileWatch(file, new RouteSource()), out IReadOnlyList<ExposeProblem> errors)!;
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
    public async Task AReloadKeepsTheRoutesThatCameFromElsewhere()
    {
        // $app | Start-SniProxy -Path routes.yaml -Watch: a change of the file must not drop $app's routes.
        string folder = Directory.CreateTempSubdirectory("clusterexpose-watch-").FullName;
        string file = Path.Combine(folder, "routes.yaml");
        ExposedHost app = ProxyUnderTest.Host("app", new[] { "app.example.top" }, 8080, 8443);
        ExposedHost home = ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, 8080, 8443);
        ExposedHost nas = ProxyUnderTest.Host("nas", new[] { "nas.example.top" }, 8080, 8443);
        File.WriteAllText(file, Yaml(home));
        var others = new RouteSource(new IExposeResource[] { app });
        var source = new RouteSource();
        source.Add(others);
        source.Add(RouteSource.FromFile(file));
        SniProxyInfo started = SniProxyHost.Start(SniProxyHost.Prepare(source, Loopback, out _)!, Loopback, new RouteFileWatch(file, others), out _)!;
        try
        {
            Assert.Equal(4, started.RouteCount);
            File.WriteAllText(file, Yaml(home, nas));
            await ProxyRoutingTests.WaitUntil(() => SniProxyHost.Describe(started.Id).RouteCount == 6);
            Assert.Contains(SniProxyHost.Describe(started.Id).Routes, r => r.Router == "default/app-https");
        }
        finally
        {
            SniProxyHost.Stop(started.Id, TimeSpan.Zero);
            Directory.Delete(folder, recursive: true);
        }
    }

    public enum FileChange
    {
        WrittenInPlace,
        RenamedOver,
        DeletedAndWrittenAgain,
        ConfigMapSwap,
    }

    /// <summary>
    /// Each way a routes file changes where users run the proxy is picked up:
    /// an editor writing in place, a tool renaming a new file over it, a delete and a new file, and
    /// the kubelet's ConfigMap update, imitated as the kubelet does it: the file is a symlink through
    /// <c>..data</c>, which is swapped atomically to a new timestamped folder (so the watched file's
    /// own entry never changes), and the old folder is then removed.
    /// </summary>
    [Theory]
    [InlineData(FileChange.WrittenInPlace)]
    [InlineData(FileChange.RenamedOver)]
    [InlineData(FileChange.DeletedAndWrittenAgain)]
    [InlineData(FileChange.ConfigMapSwap)]
    public async Task EveryWayARoutesFileChangesIsPickedUp(FileChange change)
    {
        string folder = Directory.CreateTempSubdirectory("clusterexpose-watch-").FullName;
        string file = Path.Combine(folder, "routes.yaml");
        ExposedHost home = ProxyUnderTest.Host("k65", new[] { "kl.example.top" }, 8080, 8443);
        ExposedHost nas = ProxyUnderTest.Host("nas", new[] { "nas.example.top" }, 8080, 8443);
        if (change == FileChange.ConfigMapSwap)
        {
            string first = Path.Combine(folder, "..2026_12_02_10_00_00.000000001");
            Directory.CreateDirectory(first);
            File.WriteAllText(Path.Combine(first, "routes.yaml"), Yaml(home));
            File.CreateSymbolicLink(Path.Combine(folder, "..data"), Path.GetFileName(first));
            File.CreateSymbolicLink(file, Path.Combine("..data", "routes.yaml"));
        }
        else
        {
            File.WriteAllText(file, Yaml(home));
        }

        SniProxyInfo started = SniProxyHost.Start(SniProxyHost.Prepare(RouteSource.FromFile(file), Loopback, out _)!, Loopback, new RouteFileWatch(file, new RouteSource()), out _)!;
        try
        {
            Assert.Equal(2, started.RouteCount);
            switch (change)
            {
                case FileChange.WrittenInPlace:
                    File.WriteAllText(file, Yaml(home, nas));
                    break;
                case FileChange.RenamedOver:
                    File.WriteAllText(file + ".new", Yaml(home, nas));
                    File.Move(file + ".new", file, overwrite: true);
                    break;
                case FileChange.DeletedAndWrittenAgain:
                    File.Delete(file);
                    await Task.Delay(300);
                    File.WriteAllText(file, Yaml(home, nas));
                    break;
                case FileChange.ConfigMapSwap:
                    string second = Path.Combine(folder, "..2026_12_02_10_05_00.000000002");
                    Directory.CreateDirectory(second);
                    File.WriteAllText(Path.Combine(second, "routes.yaml"), Yaml(home, nas));
                    File.CreateSymbolicLink(Path.Combine(folder, "..data_tmp"), Path.GetFileName(second));
                    // rename(2), as the kubelet swaps it: atomic, and the link itself is replaced, not what it points to.
                    Assert.Equal(0, Rename(Path.Combine(folder, "..data_tmp"), Path.Combine(folder, "..data")));
                    Directory.Delete(Path.Combine(folder, "..2026_12_02_10_00_00.000000001"), recursive: true);
                    break;
            }

            // No timing is asserted (the suite has no timed tests); the watcher reacts after a 250 ms
            // settle and the re-check every 2 s bounds the wait where no event comes.
            await ProxyRoutingTests.WaitUntil(() => SniProxyHost.Describe(started.Id).RouteCount == 4);
            if (change is FileChange.RenamedOver or FileChange.ConfigMapSwap)
            {
                // A rename or a swap is atomic: no reader ever sees a missing or half-written file.
                Assert.DoesNotContain(SniProxyHost.Describe(started.Id).RecentEvents, e => e.Contains("ReloadRejected", StringComparison.Ordinal));
            }
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

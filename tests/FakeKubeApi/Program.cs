using System;
using System.Linq;
using System.Threading.Tasks;
using ClusterExpose.FakeKubeApi;

// Runs the FAKE API server as its own process, for the Pester tests: ClusterExpose.FakeKubeApi
// <route APIs, comma-separated> <kubeconfig path to write> [namespace]. Prints "ready <url>" and serves
// until its standard input closes.
FakeRouteApis apis = args.Length > 0
    ? args[0].Split(',', StringSplitOptions.RemoveEmptyEntries).Aggregate(FakeRouteApis.None, (all, name) => all | Enum.Parse<FakeRouteApis>(name, ignoreCase: true))
    : FakeRouteApis.TraefikV3 | FakeRouteApis.K3sHelm;
await using FakeApiServer server = await FakeApiServer.StartAsync(apis);
if (args.Length > 1)
{
    server.WriteKubeConfig(args[1], "fake", args.Length > 2 ? args[2] : null);
}

Console.WriteLine($"ready {server.Url}");
await Task.Run(() => Console.In.ReadToEnd());

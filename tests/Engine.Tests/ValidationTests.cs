using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;
using Xunit;

namespace ClusterExpose.Engine.Tests;

public sealed class ValidationTests
{
    private static string[] Ids(System.Collections.Generic.IEnumerable<ExposeProblem> errors) => errors.Select(e => e.ErrorId).ToArray();

    [Theory]
    [InlineData("K65", ErrorIds.InvalidName)]
    [InlineData("1k65", ErrorIds.InvalidName)]
    [InlineData("k65-", ErrorIds.InvalidName)]
    [InlineData("k.65", ErrorIds.InvalidName)]
    [InlineData("", ErrorIds.InvalidName)]
    public void ServiceNamesMustBeRfc1035Labels(string name, string errorId)
    {
        var created = ExposeFactory.CreateHost(name, new[] { "kl.example.top" }, false, new[] { "10.21.22.65" });
        Assert.Null(created.Value);
        Assert.Contains(errorId, Ids(created.Errors));
        Assert.Contains($"Name '{name}'", created.Errors[0].Message);
    }

    [Fact]
    public void ServiceNamesOf63AreAcceptedAnd64Refused()
    {
        Assert.NotNull(ExposeFactory.CreateHost("a" + new string('b', 62), new[] { "x.example" }, false, new[] { "10.0.0.1" }).Value);
        Assert.Null(ExposeFactory.CreateHost("a" + new string('b', 63), new[] { "x.example" }, false, new[] { "10.0.0.1" }).Value);
    }

    [Theory]
    [InlineData(0, "HttpPort")]
    [InlineData(65536, "HttpPort")]
    [InlineData(-1, "HttpPort")]
    public void PortsMustBeBetween1And65535(int port, string field)
    {
        var created = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { "10.21.22.65" }, httpPort: port);
        ExposeProblem error = Assert.Single(created.Errors);
        Assert.Equal(ErrorIds.InvalidPort, error.ErrorId);
        Assert.Equal(ExposeErrorKind.InvalidArgument, error.Kind);
        Assert.Contains($"{field} '{port}'", error.Message);
    }

    [Theory]
    [InlineData("10.21.22")]
    [InlineData("kl.example.top")]
    [InlineData("10.21.22.256")]
    [InlineData("167772161")]
    [InlineData("fe80::1%eth0")]
    public void TargetsMustBeIpLiterals(string address)
    {
        var created = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { address });
        Assert.Equal(new[] { ErrorIds.InvalidTargetAddress }, Ids(created.Errors));
        Assert.Contains($"TargetAddress '{address}'", created.Errors[0].Message);
    }

    [Fact]
    public void AddressesAreWrittenCanonically()
    {
        var created = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { "::ffff:10.21.22.65", "FD7A:115C:A1E0:0:0:0:0:65", "[fd7a:115c:a1e0::66]" });
        Assert.Equal(new[] { "10.21.22.65", "fd7a:115c:a1e0::65", "fd7a:115c:a1e0::66" }, created.Value!.TargetAddress);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        var created = ExposeFactory.CreateHost("K", new[] { "kl.example.top" }, false, new[] { "10.21.22.65" }, "Bad_NS", httpPort: 0, httpsEntryPoint: "web");
        Assert.Equal(new[] { ErrorIds.InvalidName, ErrorIds.InvalidNamespace, ErrorIds.InvalidPort, ErrorIds.InvalidEntryPoint }, Ids(created.Errors));
    }

    [Fact]
    public void IncludeSubdomainsAddsOneWildcardPerName()
    {
        var host = ExposeFactory.CreateHost("k65", new[] { "kl.example.top", "KL.example.top.", "*.x.example" }, true, new[] { "10.21.22.65" }).Value!;
        Assert.Equal(new[] { "kl.example.top", "*.kl.example.top", "*.x.example" }, host.Hostname);
    }

    [Fact]
    public void GatewayApiCannotCarryProxyProtocol()
    {
        var created = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { "10.21.22.65" }, proxyProtocol: ProxyProtocolVersion.V2, flavor: ExposeFlavor.GatewayApi);
        Assert.Equal(new[] { ErrorIds.UnsupportedByFlavor }, Ids(created.Errors));
    }

    [Fact]
    public void LoadBalancerForwardsCannotCarryProxyProtocol()
    {
        var created = ExposeFactory.CreateForward("ssh", 22, new[] { "10.21.22.9" }, mode: TcpForwardMode.LoadBalancer, proxyProtocol: ProxyProtocolVersion.V1);
        Assert.Equal(new[] { ErrorIds.UnsupportedByMode }, Ids(created.Errors));
    }

    [Theory]
    [InlineData("a-very-long-forward-name", null)]
    [InlineData("pg", "Postgres")]
    [InlineData("pg", "1234")]
    [InlineData("pg", "pg--x")]
    public void EntryPointsOfForwardsMustBeContainerPortNames(string name, string? entryPoint)
    {
        var created = ExposeFactory.CreateForward(name, 5432, new[] { "10.21.22.70" }, entryPoint: entryPoint);
        Assert.Equal(new[] { ErrorIds.InvalidEntryPoint }, Ids(created.Errors));
    }

    [Fact]
    public void OneHostnameClaimedTwiceIsRefused()
    {
        var a = ExposeFactory.CreateHost("a", new[] { "kl.example.top" }, true, new[] { "10.21.22.65" }).Value!;
        var b = ExposeFactory.CreateHost("b", new[] { "*.kl.example.top" }, false, new[] { "10.21.22.66" }).Value!;
        var errors = ExposeValidator.ValidateSet(new IExposeResource[] { a, b });
        ExposeProblem error = Assert.Single(errors);
        Assert.Equal(ErrorIds.DuplicateHostname, error.ErrorId);
        Assert.Contains("'*.kl.example.top'", error.Message);
        Assert.Contains("a, b", error.Message);
    }

    [Fact]
    public void TwoForwardsOnOnePublicPortAreRefused()
    {
        var a = ExposeFactory.CreateForward("pg", 5432, new[] { "10.21.22.70" }).Value!;
        var b = ExposeFactory.CreateForward("pg2", 5432, new[] { "10.21.22.71" }).Value!;
        Assert.Equal(new[] { ErrorIds.DuplicatePublicPort }, Ids(ExposeValidator.ValidateSet(new IExposeResource[] { a, b })));
    }

    [Fact]
    public void AForwardOnTheHttpsPortIsRefused()
    {
        var host = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { "10.21.22.65" }).Value!;
        var forward = ExposeFactory.CreateForward("tls", 443, new[] { "10.21.22.71" }).Value!;
        Assert.Equal(new[] { ErrorIds.DuplicatePublicPort }, Ids(ExposeValidator.ValidateSet(new IExposeResource[] { host, forward })));
    }

    [Theory]
    [InlineData("web")]
    [InlineData("websecure")]
    [InlineData("traefik")]
    [InlineData("metrics")]
    public void AForwardCannotDeclareAnEntryPointOfTraefiksOwnChart(string entryPoint)
    {
        var forward = ExposeFactory.CreateForward(entryPoint, 5000, new[] { "10.21.22.70" }).Value!;
        Assert.Equal(entryPoint, forward.EntryPoint);
        var documents = ManifestBuilder.Build(new IExposeResource[] { forward }, new ManifestOptions(), out var errors);
        Assert.Empty(documents);
        ExposeProblem error = Assert.Single(errors);
        Assert.Equal(ErrorIds.ReservedEntryPoint, error.ErrorId);
        Assert.Equal(ExposeErrorKind.InvalidArgument, error.Kind);
        Assert.Contains($"EntryPoint '{entryPoint}' of TcpForward/{entryPoint}", error.Message);
        Assert.Contains("-EntryPoint", error.RecommendedAction);

        // The same name is fine under an entry point of its own.
        var renamed = ExposeFactory.CreateForward(entryPoint, 5000, new[] { "10.21.22.70" }, entryPoint: entryPoint + "-tcp").Value!;
        Assert.NotEmpty(ManifestBuilder.Build(new IExposeResource[] { renamed }, new ManifestOptions(), out errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void AForwardCannotDeclareTheEntryPointAHostRoutesOn()
    {
        var host = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { "10.21.22.65" }, httpsEntryPoint: "edge-tls").Value!;
        var forward = ExposeFactory.CreateForward("db", 5432, new[] { "10.21.22.70" }, entryPoint: "edge-tls").Value!;
        Assert.Empty(ManifestBuilder.Build(new IExposeResource[] { host, forward }, new ManifestOptions(), out var errors));
        ExposeProblem error = Assert.Single(errors);
        Assert.Equal(ErrorIds.ReservedEntryPoint, error.ErrorId);
        Assert.Contains("where ExposedHost/k65 routes by host name", error.Message);
    }

    [Fact]
    public void AForwardTakingAChartNameAndAChartPortHearsOfBoth()
    {
        var forward = ExposeFactory.CreateForward("db", 443, new[] { "10.21.22.70" }, entryPoint: "metrics").Value!;
        ManifestBuilder.Build(new IExposeResource[] { forward }, new ManifestOptions(), out var errors);
        Assert.Equal(new[] { ErrorIds.ReservedEntryPoint, ErrorIds.ReservedPublicPort }, Ids(errors));
    }

    [Theory]
    [InlineData(80, "web")]
    [InlineData(443, "websecure")]
    public void AnEntryPointForwardCannotTakeThePublicPortOfTraefiksWebEntryPoints(int port, string taken)
    {
        var forward = ExposeFactory.CreateForward("tls", port, new[] { "10.21.22.70" }).Value!;
        Assert.Empty(ManifestBuilder.Build(new IExposeResource[] { forward }, new ManifestOptions(), out var errors));
        ExposeProblem error = Assert.Single(errors);
        Assert.Equal(ErrorIds.ReservedPublicPort, error.ErrorId);
        Assert.Contains($"Traefik's own '{taken}' entry point", error.Message);

        // A LoadBalancer Service has a port of its own, and the local proxy declares no entry point.
        var balanced = ExposeFactory.CreateForward("tls", port, new[] { "10.21.22.70" }, mode: TcpForwardMode.LoadBalancer).Value!;
        Assert.NotEmpty(ManifestBuilder.Build(new IExposeResource[] { balanced }, new ManifestOptions(), out errors));
        Assert.Empty(errors);
        Assert.NotEmpty(ManifestBuilder.Build(new IExposeResource[] { forward }, new ManifestOptions { ForLocalForwarding = true }, out errors));
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData(8080, 28080)]
    [InlineData(9000, 29000)]
    [InlineData(22, 10022)]
    [InlineData(5432, 5432)]
    public void AForwardListensInsideTheTraefikPodWhereTheChartDoesNot(int port, int podPort)
    {
        var forward = ExposeFactory.CreateForward("fwd", port, new[] { "10.21.22.70" }).Value!;
        string yaml = ManifestBuilder.BuildYaml(new IExposeResource[] { forward }, new ManifestOptions(), out var errors);
        Assert.Empty(errors);
        YMap config = YamlText.Read(yaml, out _).OfType<YMap>().Single(r => r.Text("kind") == "HelmChartConfig");
        var values = (YMap)YamlText.Read(config.Text("spec", "valuesContent")!, out _)[0];
        Assert.Equal(podPort.ToString(), values.Map("ports")!.Map("fwd")!.Text("port"));
        Assert.Equal(port.ToString(), values.Map("ports")!.Map("fwd")!.Text("exposedPort"));
    }

    [Fact]
    public void TwoForwardsThatWouldListenOnOnePortInsideThePodAreRefused()
    {
        var low = ExposeFactory.CreateForward("ssh", 22, new[] { "10.21.22.70" }).Value!;
        var high = ExposeFactory.CreateForward("ssh-alt", 10022, new[] { "10.21.22.71" }).Value!;
        Assert.Empty(ManifestBuilder.Build(new IExposeResource[] { low, high }, new ManifestOptions(), out var errors));
        ExposeProblem error = Assert.Single(errors);
        Assert.Equal(ErrorIds.DuplicateContainerPort, error.ErrorId);
        Assert.Contains("TcpForward/ssh (port 22) and TcpForward/ssh-alt (port 10022)", error.Message);
        Assert.Contains("port 10022 inside the Traefik pod", error.Message);
    }

    [Fact]
    public void TwoExposuresWithOneNameAreRefused()
    {
        var host = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { "10.21.22.65" }).Value!;
        var forward = ExposeFactory.CreateForward("k65", 5432, new[] { "10.21.22.71" }).Value!;
        Assert.Equal(new[] { ErrorIds.DuplicateName }, Ids(ExposeValidator.ValidateSet(new IExposeResource[] { host, forward })));
    }

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("169.254.10.1", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("::", "unspecified")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("ff02::fb", "multicast")]
    public void AddressesKubernetesRefusesStayInTheModelButAreNotRendered(string address, string reason)
    {
        var host = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { address });
        Assert.NotNull(host.Value);
        string yaml = ManifestBuilder.BuildYaml(new IExposeResource[] { host.Value! }, new ManifestOptions(), out var errors);
        Assert.Equal(string.Empty, yaml);
        ExposeProblem error = Assert.Single(errors);
        Assert.Equal(ErrorIds.AddressRejectedByKubernetes, error.ErrorId);
        Assert.Contains(reason, error.Message);
        Assert.Contains(address, error.Message);
    }

    [Fact]
    public void AnInvalidObjectInASetRendersNothingAtAll()
    {
        var good = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { "10.21.22.65" }).Value!;
        var bad = new ExposedHost("bad", new[] { "Not A Name" }, new[] { "10.21.22.66" });
        var documents = ManifestBuilder.Build(new IExposeResource[] { good, bad }, new ManifestOptions(), out var errors);
        Assert.Empty(documents);
        Assert.Equal(new[] { ErrorIds.InvalidHostname }, Ids(errors));
    }
}

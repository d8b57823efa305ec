using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Yaml;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

public sealed class SniProxyDeploymentTests
{
    private static IExposeResource[] Scenario() => new IExposeResource[]
    {
        ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, true, new[] { "10.21.22.65" }).Value!,
        ExposeFactory.CreateForward("pg", 5432, new[] { "10.21.22.70" }).Value!,
    };

    [Fact]
    public void RendersADaemonSetOnHostPortsAndTheRoutesItWatches()
    {
        IReadOnlyList<YDocument> documents = SniProxyDeploymentBuilder.Build(Scenario(), new SniProxyDeploymentOptions(), out IReadOnlyList<ExposeProblem> errors);
        Assert.Empty(errors);
        Assert.Equal(new[] { "ConfigMap", "DaemonSet" }, documents.Select(d => d.Root.Text("kind")));
        foreach (YDocument document in documents)
        {
            Assert.Empty(KindSchemas.Check(document.Root));
        }

        // What the cluster stores is what the pod reads: written out and read back as YAML.
        var reread = YamlText.Read(YamlText.Write(documents), out string? syntaxError).Cast<YMap>().ToList();
        Assert.Null(syntaxError);
        string routes = reread[0].Map("data")!.Text(SniProxyDeploymentBuilder.RoutesKey)!;
        ImportResult imported = ManifestImporter.Import(routes, "routes.yaml");
        Assert.Empty(imported.Errors);
        Assert.Equal(Scenario(), imported.Resources);

        YMap container = (YMap)reread[1].Map("spec")!.Map("template")!.Map("spec")!.Sequence("containers")![0];
        Assert.Equal(new[] { "80", "443", "5432", null }, container.Sequence("ports")!.Cast<YMap>().Select(p => p.Text("hostPort")));
        Assert.Equal("metrics", container.Sequence("ports")!.Cast<YMap>().Last().Text("name"));
        Assert.Contains(container.Sequence("env")!.Cast<YMap>(), e => e.Text("name") == "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS" && e.Text("value") == "1");
        Assert.Contains(container.Sequence("env")!.Cast<YMap>(), e => e.Text("name") == "DOTNET_GCgen0size" && e.Text("value") == "0x100000");
        string script = container.Sequence("command")!.Cast<YScalar>().Last().Value;
        Assert.Contains("Start-SniProxy -Path /etc/clusterexpose/routes.yaml -Watch -Wait -DrainTimeoutSec 30 -MetricsPort 9180 -MetricsAddress 0.0.0.0", script);
        Assert.Equal("/readyz", container.Map("readinessProbe")!.Map("httpGet")!.Text("path"));
        Assert.Equal("metrics", container.Map("readinessProbe")!.Map("httpGet")!.Text("port"));
        Assert.Contains("Import-Module /modules/ClusterExpose/ClusterExpose.psd1", script);
        Assert.DoesNotContain("Install-PSResource", YamlText.Write(documents));

        // The module comes from the init container's copy of the module image, into a volume the proxy reads.
        YMap podSpec = reread[1].Map("spec")!.Map("template")!.Map("spec")!;
        YMap init = (YMap)Assert.Single(podSpec.Sequence("initContainers")!);
        Assert.Equal(SniProxyDeploymentOptions.DefaultModuleImage, init.Text("image"));
        Assert.Equal(new[] { "cp", "-R", "/clusterexpose/ClusterExpose", "/modules/" }, init.Sequence("command")!.Cast<YScalar>().Select(c => c.Value));
        Assert.Contains(podSpec.Sequence("volumes")!.Cast<YMap>(), v => v.Text("name") == "modules" && v.Map("emptyDir") is not null);
        Assert.Contains(container.Sequence("volumeMounts")!.Cast<YMap>(), m => m.Text("name") == "modules" && m.Text("mountPath") == "/modules" && m.Text("readOnly") == "true");
        Assert.Matches(@"^clusterexpose-module:\d+\.\d+\.\d+$", SniProxyDeploymentOptions.DefaultModuleImage);

        YMap template = reread[1].Map("spec")!.Map("template")!;
        Assert.Equal("true", template.Map("metadata")!.Map("annotations")!.Text("prometheus.io/scrape"));
        Assert.Equal("40", template.Map("spec")!.Text("terminationGracePeriodSeconds"));
    }

    [Fact]
    public void RefusesWhatThePodCouldNotServe()
    {
        SniProxyDeploymentBuilder.Build(Scenario(), new SniProxyDeploymentOptions { Name = "Bad_Name" }, out IReadOnlyList<ExposeProblem> nameErrors);
        Assert.Equal("InvalidName", Assert.Single(nameErrors).ErrorId);
        SniProxyDeploymentBuilder.Build(Scenario(), new SniProxyDeploymentOptions { ModuleImage = "my image" }, out IReadOnlyList<ExposeProblem> imageErrors);
        Assert.Equal("InvalidName", Assert.Single(imageErrors).ErrorId);

        var loopback = new IExposeResource[] { ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, false, new[] { "127.0.0.1" }).Value! };
        Assert.Empty(SniProxyDeploymentBuilder.Build(loopback, new SniProxyDeploymentOptions(), out IReadOnlyList<ExposeProblem> addressErrors));
        Assert.Equal("AddressRejectedByKubernetes", Assert.Single(addressErrors).ErrorId);
    }

    [Fact]
    public void TakesEntryPointNamesThatOnlyTraefikReserves()
    {
        // Traefik never reads the proxy's routes: a forward named after one of its chart's entry points is fine here.
        var metrics = new IExposeResource[] { ExposeFactory.CreateForward("metrics", 9100, new[] { "10.21.22.70" }).Value! };
        Assert.NotEmpty(SniProxyDeploymentBuilder.Build(metrics, new SniProxyDeploymentOptions(), out IReadOnlyList<ExposeProblem> errors));
        Assert.Empty(errors);
        Assert.Empty(ManifestBuilder.Build(metrics, new ManifestOptions(), out errors));
        Assert.Equal("ReservedEntryPoint", Assert.Single(errors).ErrorId);
    }
}

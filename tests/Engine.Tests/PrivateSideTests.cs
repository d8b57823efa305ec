using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Yaml;
using Xunit;

namespace ClusterExpose.Engine.Tests;

/// <summary>What the private cluster is given: rendered from the same model objects as the cloud side.</summary>
public sealed class PrivateSideTests
{
    /// <summary>
    /// The keys under <c>ports.&lt;name&gt;</c> of the Traefik Helm chart's values that trust forwarders,
    /// transcribed from the chart's values.yaml (the same keys in the charts of Traefik v2.11 and v3.x,
    /// which k3s installs).
    /// </summary>
    private static readonly HashSet<string> ChartPortKeys = new()
    {
        "forwardedHeaders.trustedIPs", "forwardedHeaders.insecure", "proxyProtocol.trustedIPs", "proxyProtocol.insecure",
    };

    private static IExposeResource Host(ProxyProtocolVersion proxyProtocol, ExposeFlavor flavor = ExposeFlavor.TraefikV3) =>
        ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, true, new[] { "10.21.22.65" }, proxyProtocol: proxyProtocol, flavor: flavor).Value!;

    private static IExposeResource Forward(ProxyProtocolVersion proxyProtocol = ProxyProtocolVersion.None) =>
        ExposeFactory.CreateForward("pg", 5432, new[] { "10.21.22.70" }, proxyProtocol: proxyProtocol).Value!;

    private static (YMap Document, YMap Ports, string Yaml) Render(IExposeResource[] resources, params string[] trusted)
    {
        string? yaml = PrivateSideBuilder.BuildYaml(resources, trusted, out IReadOnlyList<ExposeProblem> errors, out _);
        Assert.Empty(errors);
        YMap document = (YMap)Assert.Single(YamlText.Read(yaml!, out string? syntaxError));
        Assert.Null(syntaxError);
        Assert.Empty(KindSchemas.Check(document));
        YMap values = (YMap)Assert.Single(YamlText.Read(document.Map("spec")!.Text("valuesContent")!, out _));
        return (document, values.Map("ports")!, yaml!);
    }

    private static IEnumerable<string> Keys(YMap map, string prefix = "") =>
        map.SelectMany(e => e.Value is YMap inner ? Keys(inner, prefix + e.Key + ".") : new[] { prefix + e.Key });

    [Fact]
    public void TrustsTheCloudSideForForwardedHeadersOnWebOnly()
    {
        (YMap document, YMap ports, _) = Render(new[] { Host(ProxyProtocolVersion.None), Forward() }, "100.64.0.0/10");
        Assert.Equal("HelmChartConfig", document.Text("kind"));
        Assert.Equal("traefik", document.Map("metadata")!.Text("name"));
        Assert.Equal("kube-system", document.Map("metadata")!.Text("namespace"));
        Assert.Equal(new[] { "web" }, ports.Select(e => e.Key));
        Assert.Equal(new[] { "100.64.0.0/10" }, ports.Map("web")!.Map("forwardedHeaders")!.Sequence("trustedIPs")!.Cast<YScalar>().Select(s => s.Value));
    }

    [Fact]
    public void PROXYProtocolOnAnExposureChangesBothSidesTogether()
    {
        foreach (ProxyProtocolVersion version in new[] { ProxyProtocolVersion.None, ProxyProtocolVersion.V1, ProxyProtocolVersion.V2 })
        {
            IExposeResource host = Host(version);
            (_, YMap ports, _) = Render(new[] { host }, "100.101.102.103", "fd7a:115c:a1e0::/48");
            string cloud = ManifestBuilder.BuildYaml(new[] { host }, new ManifestOptions(), out IReadOnlyList<ExposeProblem> errors);
            Assert.Empty(errors);
            bool sends = version != ProxyProtocolVersion.None;
            Assert.Equal(sends, cloud.Contains("proxyProtocol:", System.StringComparison.Ordinal));
            Assert.Equal(sends, ports.Map("websecure") is not null);
            if (sends)
            {
                Assert.Equal(new[] { "100.101.102.103/32", "fd7a:115c:a1e0::/48" }, ports.Map("websecure")!.Map("proxyProtocol")!.Sequence("trustedIPs")!.Cast<YScalar>().Select(s => s.Value));

                // websecure passes TLS through: the cloud side cannot add headers there, so none are trusted.
                Assert.Null(ports.Map("websecure")!.Map("forwardedHeaders"));
            }

            foreach (YMap port in ports.Select(e => (YMap)e.Value))
            {
                Assert.All(Keys(port), key => Assert.Contains(key, ChartPortKeys));
            }
        }
    }

    [Fact]
    public void SaysWhichRoutesThePrivateNetworkMustCarry()
    {
        (_, _, string yaml) = Render(new[] { Host(ProxyProtocolVersion.V2), Forward() }, "100.64.0.0/10");
        Assert.Contains("# Tailscale: on the private side's subnet router `tailscale set --advertise-routes=10.21.22.65/32,10.21.22.70/32`", yaml);
        Assert.Contains("on each cloud node `tailscale set --accept-routes`", yaml);
        Assert.Contains("AllowedIPs = 10.21.22.65/32, 10.21.22.70/32", yaml);
    }

    [Fact]
    public void ForwardsAloneNeedNothingOfTraefikButStillTheirRoutesAndAWordAboutPROXY()
    {
        string? yaml = PrivateSideBuilder.BuildYaml(new[] { Forward(ProxyProtocolVersion.V1) }, new[] { "100.64.0.0/10" }, out IReadOnlyList<ExposeProblem> errors, out IReadOnlyList<string> warnings);
        Assert.Empty(errors);
        Assert.DoesNotContain(YamlText.Read(yaml!, out _), d => d is not null);
        Assert.Contains("--advertise-routes=10.21.22.70/32", yaml);
        Assert.Contains(warnings, w => w.Contains("sends a PROXY v1 header to 10.21.22.70:5432", System.StringComparison.Ordinal));
    }

    [Fact]
    public void GatewayApiExposuresGetTheValuesAndAWarningAboutOtherImplementations()
    {
        PrivateSideBuilder.BuildYaml(new[] { Host(ProxyProtocolVersion.None, ExposeFlavor.GatewayApi) }, new[] { "100.64.0.0/10" }, out IReadOnlyList<ExposeProblem> errors, out IReadOnlyList<string> warnings);
        Assert.Empty(errors);
        Assert.Contains(warnings, w => w.Contains("Gateway API has no standard setting", System.StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new string[0], "TrustedAddressMissing")]
    [InlineData(new[] { "100.64.0.0/33" }, "InvalidTrustedAddress")]
    [InlineData(new[] { "cloud-node" }, "InvalidTrustedAddress")]
    public void RefusesWhatCannotBeTrusted(string[] trusted, string errorId)
    {
        Assert.Null(PrivateSideBuilder.BuildYaml(new[] { Host(ProxyProtocolVersion.None) }, trusted, out IReadOnlyList<ExposeProblem> errors, out _));
        Assert.Equal(errorId, Assert.Single(errors).ErrorId);
    }
}

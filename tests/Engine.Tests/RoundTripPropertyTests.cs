using System;
using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using Xunit;

namespace ClusterExpose.Engine.Tests;

/// <summary>
/// Model -> YAML -> model over generated sets (fixed seed, so a failure reproduces): every flavor,
/// rendering option, port, address family and PROXY protocol setting the model allows.
/// </summary>
public sealed class RoundTripPropertyTests
{
    private static readonly ExposeFlavor[] Flavors = Enum.GetValues<ExposeFlavor>();

    [Fact]
    public void GeneratedSetsReadBackToEqualModels()
    {
        var random = new Random(1123);
        int checkedSets = 0;
        for (int round = 0; round < 300; round++)
        {
            ExposeFlavor flavor = Flavors[random.Next(Flavors.Length)];
            var set = new List<IExposeResource>();
            var usedNames = new HashSet<string>();
            int hosts = random.Next(1, 4);
            for (int i = 0; i < hosts; i++)
            {
                string name = "h" + i + Label(random, 5);
                var names = Enumerable.Range(0, random.Next(1, 4)).Select(n => $"{Label(random, 6)}{i}{n}.{Label(random, 4)}.example").ToArray();
                var proxy = flavor == ExposeFlavor.GatewayApi ? ProxyProtocolVersion.None : (ProxyProtocolVersion)random.Next(3);
                int subdomains = random.Next(3); // none, one label, any depth
                var created = ExposeFactory.CreateHost(name, names, subdomains == 1, Addresses(random), Namespace(random),
                    80, 443, random.Next(1, 65536), random.Next(1, 65536), null, null, proxy, flavor, includeAllSubdomains: subdomains == 2);
                set.Add(created.Value ?? throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Message))));
                usedNames.Add(name);
            }

            int forwards = random.Next(0, 3);
            for (int i = 0; i < forwards; i++)
            {
                var mode = (TcpForwardMode)random.Next(2);
                var proxy = mode == TcpForwardMode.LoadBalancer || flavor == ExposeFlavor.GatewayApi ? ProxyProtocolVersion.None : (ProxyProtocolVersion)random.Next(3);
                var created = ExposeFactory.CreateForward("f" + i + Label(random, 4), 1000 + (i * 1000) + random.Next(1000), Addresses(random),
                    random.Next(1, 65536), Namespace(random), mode, null, proxy, flavor);
                set.Add(created.Value ?? throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Message))));
            }

            var options = new ManifestOptions
            {
                NativeWildcards = random.Next(2) == 0,
                LegacyTraefikApiGroup = random.Next(2) == 0,
                LegacyEndpoints = random.Next(2) == 0,
                GatewayRouteVersion = (GatewayRouteVersion)random.Next(2),
            };

            string yaml = ManifestBuilder.BuildYaml(set, options, out var errors);
            Assert.Empty(errors);
            ImportResult imported = TestData.AssertImportsBackTo(set, yaml, $"round {round}");

            // Rendering what was read back gives the same text: the importer loses nothing the builder uses.
            Assert.Equal(yaml, ManifestBuilder.BuildYaml(imported.Resources, options, out _));
            checkedSets++;
        }

        Assert.Equal(300, checkedSets);
    }

    private static string Label(Random random, int length) =>
        new(Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(26))).ToArray());

    private static string? Namespace(Random random) => random.Next(3) == 0 ? "ns-" + Label(random, 3) : null;

    private static string[] Addresses(Random random) =>
        Enumerable.Range(0, random.Next(1, 4))
            .Select(_ => random.Next(3) == 0 ? $"fd7a:115c:a1e0::{random.Next(1, 0xffff):x}" : $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}")
            .Distinct()
            .ToArray();
}

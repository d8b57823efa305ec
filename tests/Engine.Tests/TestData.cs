using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using ClusterExpose.Engine.Manifests;

namespace ClusterExpose.Engine.Tests;

/// <summary>Reads the golden cases: each folder holds input.json (the model and options) and expected.yaml.</summary>
internal static class TestData
{
    public static string Folder(string name) => Path.Combine(AppContext.BaseDirectory, name);

    public static IEnumerable<object[]> GoldenCases() =>
        Directory.GetDirectories(Folder("Golden")).Select(d => new object[] { Path.GetFileName(d) }).OrderBy(c => (string)c[0]);

    /// <summary>The source folder, so that CLUSTEREXPOSE_UPDATE_GOLDEN=1 can rewrite expectations in the repository.</summary>
    public static string SourceFolder([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;

    public static (List<IExposeResource> Resources, ManifestOptions Options) LoadCase(string name)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder("Golden"), name, "input.json")));
        var options = new ManifestOptions();
        if (json.RootElement.TryGetProperty("options", out JsonElement o))
        {
            options.NativeWildcards = Bool(o, "nativeWildcards");
            options.LegacyTraefikApiGroup = Bool(o, "legacyTraefikApiGroup");
            options.LegacyEndpoints = Bool(o, "legacyEndpoints");
            options.GatewayName = Str(o, "gatewayName") ?? options.GatewayName;
            options.GatewayNamespace = Str(o, "gatewayNamespace");
            options.GatewayRouteVersion = Str(o, "gatewayRouteVersion") == "v1alpha2" ? GatewayRouteVersion.V1Alpha2 : GatewayRouteVersion.V1;
        }

        var resources = new List<IExposeResource>();
        foreach (JsonElement r in json.RootElement.GetProperty("resources").EnumerateArray())
        {
            var flavor = Enum.Parse<ExposeFlavor>(Str(r, "flavor") ?? "TraefikV3");
            var proxy = Enum.Parse<ProxyProtocolVersion>(Str(r, "proxyProtocol") ?? "None");
            if (Str(r, "kind") == "ExposedHost")
            {
                var created = ExposeFactory.CreateHost(
                    Str(r, "name")!, Strings(r, "hostname"), Bool(r, "includeSubdomains"), Strings(r, "targetAddress"), Str(r, "namespace"),
                    Int(r, "httpPort") ?? 80, Int(r, "httpsPort") ?? 443, Int(r, "targetHttpPort") ?? 80, Int(r, "targetHttpsPort") ?? 443,
                    Str(r, "httpEntryPoint"), Str(r, "httpsEntryPoint"), proxy, flavor);
                resources.Add(created.Value ?? throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Message))));
            }
            else
            {
                var created = ExposeFactory.CreateForward(
                    Str(r, "name")!, Int(r, "port")!.Value, Strings(r, "targetAddress"), Int(r, "targetPort"), Str(r, "namespace"),
                    Enum.Parse<TcpForwardMode>(Str(r, "mode") ?? "TraefikEntryPoint"), Str(r, "entryPoint"), proxy, flavor);
                resources.Add(created.Value ?? throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Message))));
            }
        }

        return (resources, options);
    }

    /// <summary>Imports <paramref name="yaml"/> and asserts it reads back to exactly <paramref name="expected"/>, silently.</summary>
    public static ImportResult AssertImportsBackTo(IReadOnlyCollection<IExposeResource> expected, string yaml, string source)
    {
        ImportResult imported = ManifestImporter.Import(yaml, source);
        Xunit.Assert.Empty(imported.Errors);
        Xunit.Assert.Empty(imported.Warnings);
        Xunit.Assert.Equal(expected.Count, imported.Resources.Count);
        foreach (IExposeResource resource in expected)
        {
            Xunit.Assert.Contains(resource, imported.Resources);
        }

        return imported;
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.GetInt32() : null;

    private static bool Bool(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.GetBoolean();

    private static string[] Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) ? v.EnumerateArray().Select(x => x.GetString()!).ToArray() : Array.Empty<string>();
}

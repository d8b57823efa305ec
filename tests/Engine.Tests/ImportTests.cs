using System.IO;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;
using Xunit;

namespace ClusterExpose.Engine.Tests;

public sealed class ImportTests
{
    private static ImportResult ImportFile(string name) =>
        ManifestImporter.Import(File.ReadAllText(Path.Combine(TestData.Folder("Manifests"), name)), name);

    [Fact]
    public void ReadsTheScenarioWrittenByHand()
    {
        ImportResult result = ImportFile("scenario-by-hand.yaml");
        Assert.Empty(result.Errors);
        var expected = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, true, new[] { "10.21.22.65" }).Value!;
        Assert.Equal(expected, Assert.Single(result.Resources));
        // The Middleware is not part of an exposure: reported, not dropped silently.
        Assert.Contains(result.Warnings, w => w.Contains("Middleware 'default/redirect-https'") && w.Contains("does not model"));
        Assert.Single(result.Warnings);
    }

    [Fact]
    public void ReadsAHandWrittenTraefikV2ScenarioWithNamedPortsAndProxyProtocol()
    {
        ImportResult result = ImportFile("scenario-by-hand-v2.yaml");
        Assert.Empty(result.Errors);
        Assert.Empty(result.Warnings);
        var expected = ExposeFactory.CreateHost("k65", new[] { "kl.example.top" }, true, new[] { "10.21.22.65" }, "edge",
            proxyProtocol: ProxyProtocolVersion.V2, flavor: ExposeFlavor.TraefikV2).Value!;
        Assert.Equal(expected, Assert.Single(result.Resources));
    }

    [Fact]
    public void ASyntaxErrorNamesItsLine()
    {
        ImportResult result = ManifestImporter.Import("apiVersion: v1\nkind: Service\nmetadata: {name: x\n", "broken.yaml");
        ExposeProblem error = Assert.Single(result.Errors);
        Assert.Equal(ErrorIds.ManifestSyntaxError, error.ErrorId);
        Assert.Equal(ExposeErrorKind.InvalidData, error.Kind);
        Assert.Contains("broken.yaml", error.Message);
        Assert.Contains("line", error.Message);
        Assert.Empty(result.Resources);
    }

    [Fact]
    public void DuplicateKeysAreASyntaxError()
    {
        ImportResult result = ManifestImporter.Import("apiVersion: v1\nkind: Service\nkind: Pod\n", "dup.yaml");
        Assert.Equal(ErrorIds.ManifestSyntaxError, Assert.Single(result.Errors).ErrorId);
    }

    [Fact]
    public void AnEmptyFileIsAnError()
    {
        ImportResult result = ManifestImporter.Import("# nothing\n---\n", "empty.yaml");
        Assert.Equal(ErrorIds.ManifestEmpty, Assert.Single(result.Errors).ErrorId);
    }

    [Fact]
    public void ARuleThatIsNotAListOfNamesIsAnErrorNotAGuess()
    {
        string yaml = File.ReadAllText(Path.Combine(TestData.Folder("Manifests"), "scenario-by-hand.yaml"))
            .Replace("match: Host(`kl.example.top`) || HostRegexp", "match: Host(`kl.example.top`) && PathPrefix(`/x`) || HostRegexp");
        ImportResult result = ManifestImporter.Import(yaml, "paths.yaml");
        ExposeProblem error = Assert.Single(result.Errors);
        Assert.Equal(ErrorIds.ManifestInvalidObject, error.ErrorId);
        Assert.Contains("IngressRoute 'default/kl-http'", error.Message);
        Assert.Empty(result.Resources);
    }

    [Fact]
    public void ServicesWithSelectorsAndOrphanRoutesAreReported()
    {
        const string yaml = """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              selector: {app: web}
              ports: [{port: 80}]
            ---
            apiVersion: traefik.io/v1alpha1
            kind: IngressRoute
            metadata: {name: other}
            spec:
              routes: [{kind: Rule, match: Host(`a.example`), services: [{name: elsewhere, port: 80}]}]
            """;
        ImportResult result = ManifestImporter.Import(yaml, "mixed.yaml");
        Assert.Empty(result.Resources);
        Assert.Empty(result.Errors);
        Assert.Contains(result.Warnings, w => w.Contains("Service 'default/web' has a selector"));
        Assert.Contains(result.Warnings, w => w.Contains("IngressRoute 'default/other'") && w.Contains("does not belong"));
    }

    [Fact]
    public void InvalidValuesInAManifestBecomeErrorsNamingTheObject()
    {
        string yaml = File.ReadAllText(Path.Combine(TestData.Folder("Manifests"), "scenario-by-hand.yaml")).Replace("ip: 10.21.22.65", "ip: not-an-ip");
        ImportResult result = ManifestImporter.Import(yaml, "bad-ip.yaml");
        ExposeProblem error = Assert.Single(result.Errors);
        Assert.Equal(ErrorIds.ManifestInvalidObject, error.ErrorId);
        Assert.Contains("Service 'default/k65'", error.Message);
        Assert.Contains("not-an-ip", error.Message);
    }

    [Fact]
    public void ListKindsAreUnwrapped()
    {
        string single = File.ReadAllText(Path.Combine(TestData.Folder("Golden"), "scenario-traefik-v3", "expected.yaml"));
        var documents = single.Split("\n---\n").Select(d => d.Replace("---\n", string.Empty).Trim()).Where(d => d.Length > 0 && !d.StartsWith("#"));
        string list = "apiVersion: v1\nkind: List\nitems:\n" + string.Join("\n", documents.Select(d => "  - " + d.Replace("\n", "\n    ")));
        ImportResult result = ManifestImporter.Import(list, "list.yaml");
        Assert.Empty(result.Errors);
        Assert.Equal(2, result.Resources.Count);
    }
}

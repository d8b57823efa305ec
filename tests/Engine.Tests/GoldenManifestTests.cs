using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using Xunit;

namespace ClusterExpose.Engine.Tests;

/// <summary>
/// Each folder under Golden/ is one case: the model in input.json renders to exactly expected.yaml,
/// and expected.yaml imports back to the same model. Set CLUSTEREXPOSE_UPDATE_GOLDEN=1 to rewrite
/// the expectations after an intended change, then review the diff.
/// </summary>
public sealed class GoldenManifestTests
{
    public static IEnumerable<object[]> Cases => TestData.GoldenCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void RendersExactlyTheExpectedYaml(string name)
    {
        var (resources, options) = TestData.LoadCase(name);
        string yaml = ManifestBuilder.BuildYaml(resources, options, out var errors);
        Assert.Empty(errors);
        string expectedPath = Path.Combine(TestData.Folder("Golden"), name, "expected.yaml");
        if (Environment.GetEnvironmentVariable("CLUSTEREXPOSE_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(TestData.SourceFolder(), "Golden", name, "expected.yaml"), yaml);
            return;
        }

        Assert.Equal(File.ReadAllText(expectedPath), yaml);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExpectedYamlImportsBackToTheSameModel(string name)
    {
        var (resources, _) = TestData.LoadCase(name);
        string yaml = File.ReadAllText(Path.Combine(TestData.Folder("Golden"), name, "expected.yaml"));
        TestData.AssertImportsBackTo(resources, yaml, name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryObjectFollowsTheSchemaOfItsKind(string name)
    {
        var (resources, options) = TestData.LoadCase(name);
        var documents = ManifestBuilder.Build(resources, options, out var errors);
        Assert.Empty(errors);
        foreach (var document in documents)
        {
            Assert.Empty(KindSchemas.Check(document.Root));
        }
    }
}

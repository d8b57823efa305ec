using System.Collections.Generic;
using System.Linq;
using System.Text;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;
using Xunit;

namespace ClusterExpose.Engine.Tests;

/// <summary>Reading untrusted YAML stays bounded: no stack exhaustion, no exponential alias expansion, no quadratic lookups.</summary>
public sealed class YamlBoundsTests
{
    [Fact]
    public void ABillionLaughsIsRefusedWithItsOwnId()
    {
        var text = new StringBuilder("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int level = 1; level <= 9; level++)
        {
            text.Append($"  a{level}: &a{level} [").Append(string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))).Append("]\n");
        }

        IReadOnlyList<YNode> documents = YamlText.ReadBounded(text.ToString(), out YamlReadFailure? failure);

        Assert.NotNull(failure);
        Assert.True(failure!.LimitExceeded);
        Assert.Contains("aliases expand to more than", failure.Message);
        Assert.Empty(documents);
        ImportResult imported = ManifestImporter.Import(text.ToString(), "lol.yaml");
        ExposeProblem error = Assert.Single(imported.Errors);
        Assert.Equal(ErrorIds.ManifestTooComplex, error.ErrorId);
        Assert.Equal(ExposeErrorKind.InvalidData, error.Kind);
        Assert.Empty(imported.Resources);
    }

    [Fact]
    public void AFewAliasesAreReadAsCopies()
    {
        const string text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, labels: &labels {app: web}, annotations: *labels}\n";

        YMap root = (YMap)Assert.Single(YamlText.ReadBounded(text, out YamlReadFailure? failure));

        Assert.Null(failure);
        Assert.Equal("web", root.Text("metadata", "annotations", "app"));
    }

    [Theory]
    [InlineData(YamlText.MaxDepth + 5)]
    [InlineData(100_000)]
    public void NestingTooDeepIsRefusedNotAStackOverflow(int depth)
    {
        string text = "a: " + new string('[', depth) + new string(']', depth) + "\n";

        YamlText.ReadBounded(text, out YamlReadFailure? failure);

        Assert.NotNull(failure);
        Assert.True(failure!.LimitExceeded);
        Assert.Contains($"deeper than {YamlText.MaxDepth} levels", failure.Message);
    }

    [Fact]
    public void NestingWithinTheBoundIsRead()
    {
        int depth = YamlText.MaxDepth - 2;
        string text = "a: " + new string('[', depth) + "x" + new string(']', depth) + "\n";

        Assert.Single(YamlText.ReadBounded(text, out YamlReadFailure? failure));
        Assert.Null(failure);
    }

    [Fact]
    public void ALargeMappingFindsEveryKeyAndRefusesADuplicate()
    {
        var text = new StringBuilder("data:\n");
        for (int i = 0; i < 5_000; i++)
        {
            text.Append($"  key{i}: value-{i}\n");
        }

        YMap data = ((YMap)Assert.Single(YamlText.Read(text.ToString(), out string? error))).Map("data")!;
        Assert.Null(error);
        Assert.Equal(5_000, data.Count);
        Assert.All(Enumerable.Range(0, 5_000), i => Assert.Equal($"value-{i}", data.Text($"key{i}")));
        Assert.Null(data["key5000"]);

        YamlText.Read(text.Append("  key4321: again\n").ToString(), out string? duplicate);
        Assert.Contains("the key 'key4321' appears twice", duplicate);
    }

    [Fact]
    public void ManyExposuresInOneFileAreEachPairedWithTheirOwnRoutes()
    {
        var resources = Enumerable.Range(0, 300)
            .Select(i => (IExposeResource)ExposeFactory.CreateHost($"h{i}", new[] { $"h{i}.example.top" }, i % 2 == 0, new[] { $"10.21.22.{i % 250 + 1}" }).Value!)
            .ToList();
        // Documents in reverse order: routes come before the Services they point at.
        IReadOnlyList<YDocument> documents = ManifestBuilder.Build(resources, new ManifestOptions(), out _);
        string text = YamlText.Write(documents.Reverse().ToList());

        ImportResult imported = ManifestImporter.Import(text, "many.yaml");

        Assert.Empty(imported.Errors);
        Assert.Empty(imported.Warnings);
        Assert.Equal(resources.OrderBy(r => r.Name), imported.Resources.OrderBy(r => r.Name));
    }
}

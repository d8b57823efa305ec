using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using ClusterExpose.Engine;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Bench;

/// <summary>
/// How fast manifests are read back (Import-ExposeManifest's engine step), in MB/s, for the two shapes
/// that expose a reader that is not linear: many documents (thousands of exposures in one file) and
/// one object with a huge mapping.
/// </summary>
internal static class ImportThroughput
{
    public static string Report(bool quick)
    {
        int exposures = quick ? 2_000 : 20_000;
        int keys = quick ? 50_000 : 250_000;
        var report = new StringBuilder();
        report.AppendLine();
        report.AppendLine("## Reading manifests (ManifestImporter, median of 3)");
        report.AppendLine();
        report.AppendLine("| shape | size | objects | seconds | MB/s |");
        report.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var (shape, text) in new[] { ($"{exposures:N0} exposures, one document each object", ManyDocuments(exposures)), ($"one object with {keys:N0} keys", OneLargeMap(keys)) })
        {
            var seconds = new List<double>();
            int objects = 0;
            for (int i = 0; i < 3; i++)
            {
                var watch = Stopwatch.StartNew();
                objects = ManifestImporter.Import(text, "bench").Resources.Count;
                seconds.Add(watch.Elapsed.TotalSeconds);
            }

            double median = seconds.Order().ElementAt(1);
            double megabytes = Encoding.UTF8.GetByteCount(text) / 1e6;
            report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {shape} | {megabytes:0.0} MB | {objects:N0} | {median:0.00} | {megabytes / median:0.0} |"));
        }

        return report.ToString();
    }

    private static string ManyDocuments(int count)
    {
        var resources = Enumerable.Range(0, count)
            .Select(i => (IExposeResource)ExposeFactory.CreateHost($"h{i}", new[] { $"h{i}.example.top" }, true, new[] { "10.21.22.65" }).Value!)
            .ToList();
        IReadOnlyList<YDocument> documents = ManifestBuilder.Build(resources, new ManifestOptions(), out _);
        return YamlText.Write(documents);
    }

    private static string OneLargeMap(int keys)
    {
        var text = new StringBuilder("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: large\ndata:\n");
        for (int i = 0; i < keys; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  key{i}: value-{i}\n");
        }

        return text.ToString();
    }
}

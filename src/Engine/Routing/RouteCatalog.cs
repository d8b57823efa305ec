using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Routing;

/// <summary>The host names and entry points a set of routes mentions: what tab completion offers.</summary>
public static class RouteCatalog
{
    /// <summary>Reads the routes of model objects and manifest files; unreadable files are skipped (completion never fails).</summary>
    public static (IReadOnlyList<string> Hostnames, IReadOnlyList<string> EntryPoints) Read(IEnumerable<string> files, IReadOnlyList<IExposeResource> resources)
    {
        var source = new RouteSource(resources);
        foreach (string file in files)
        {
            try
            {
                source.Add(RouteSource.FromFile(file));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
            {
            }
        }

        RouteTable table = source.Load(RouteUse.Deciding).Table;
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (CompiledRouter router in table.Routers)
        {
            foreach (string name in RouteLinter.SampleNames(router))
            {
                // A wildcard's sample name means nothing to a user; its domain is a name worth asking about.
                string offered = name.StartsWith(RouteLinter.SampleLabel + ".", StringComparison.Ordinal) ? name.Substring(RouteLinter.SampleLabel.Length + 1) : name;
                if (HostnameNormalizer.TryNormalize(offered, out string normalized) is null)
                {
                    names.Add(normalized);
                }
            }
        }

        return (names.ToList(), table.EntryPoints);
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Validation;
using Xunit;

namespace ClusterExpose.Engine.Tests.Routing;

/// <summary>
/// What ClusterExpose writes routes every name to the exposure that names it most specifically
/// (an exact name above a one-label wildcard above an any-depth one, a longer domain above a shorter),
/// in every flavor, and its own lint finds nothing about routing in it. Generated sets (fixed seed)
/// crowd exact names and wildcards of both kinds onto the same few, nested, domains.
/// </summary>
public sealed class WrittenRoutePropertyTests
{
    private static readonly string[] Domains = { "kl.example.top", "apps.kl.example.top", "example.top", "a.kl.example.top" };
    private static readonly string[] Labels = { "app", "a", "www", "nas", "very-long-label-for-priority" };

    // Advice about the user's own certificates is not a routing finding.
    private static readonly HashSet<string> NotAboutRouting = new(StringComparer.Ordinal) { LintCodes.SharedWildcardCertificate };

    [Fact]
    public void EveryNameReachesItsMostSpecificExposureAndLintFindsNothing()
    {
        var random = new Random(2026);
        int checkedSets = 0;
        for (int round = 0; round < 400; round++)
        {
            ExposeFlavor flavor = (ExposeFlavor)random.Next(3);
            var set = new List<ExposedHost>();
            var claimed = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < random.Next(2, 6); i++)
            {
                var names = new List<string>();
                for (int n = 0; n < random.Next(1, 3); n++)
                {
                    string domain = Domains[random.Next(Domains.Length)];
                    int kind = random.Next(8);
                    string name = kind < 2 ? "*." + domain : kind < 4 ? "**." + domain : kind == 4 ? domain : Labels[random.Next(Labels.Length)] + "." + domain;
                    // Under the Gateway API *.d is **.d: one claim.
                    if (claimed.Add(flavor == ExposeFlavor.GatewayApi && name.StartsWith("*.", StringComparison.Ordinal) ? "*" + name : name))
                    {
                        names.Add(name);
                    }
                }

                if (names.Count == 0)
                {
                    continue;
                }

                var created = ExposeFactory.CreateHost("h" + i, names.ToArray(), false, new[] { "10.0.0." + (i + 1) }, null,
                    80, 443, 80, 443, null, null, ProxyProtocolVersion.None, flavor);
                set.Add(created.Value ?? throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Message))));
            }

            var reading = new RouterReading();
            IReadOnlyList<TraefikRouteObject> objects = RouterReader.FromResources(set.Cast<IExposeResource>().ToList(), reading);
            Assert.Empty(reading.Errors);
            RouterReader.ReadRouters(objects, flavor == ExposeFlavor.TraefikV2 ? TraefikVersion.V2 : TraefikVersion.V3, reading);
            RouteTable table = RouteTable.Build(reading.Routers);
            string context = $"round {round} ({flavor}): " + string.Join("; ", set.Select(h => h.Name + "=" + string.Join(",", h.Hostname)));

            var routingFindings = RouteLinter.Lint(table).Where(f => !NotAboutRouting.Contains(f.Code)).ToList();
            Assert.True(routingFindings.Count == 0, context + " -> " + string.Join(" | ", routingFindings.Select(f => f.Code + ": " + f.Message)));

            // A name under each wildcard: one label under a one-label one, two under an any-depth one.
            foreach (string name in set.SelectMany(h => h.Hostname).Select(n =>
                HostnameNormalizer.IsAnyDepth(n) ? "zz.yy." + HostnameNormalizer.WildcardDomain(n)
                : HostnameNormalizer.IsWildcard(n) ? "zz." + HostnameNormalizer.WildcardDomain(n)
                : n))
            {
                string expected = MostSpecificOwner(set, name);
                foreach ((string entryPoint, bool tls) in new[] { ("web", false), ("websecure", true) })
                {
                    RouteDecision decision = table.Decide(entryPoint, RouteQuery.FromConnection(name, tls, null, null), tls);
                    Assert.True(decision.Winner?.Definition.Service == expected, $"{context}: {name} on {entryPoint} went to {decision.Winner?.Name ?? "nothing"}, not {expected}: {decision.Reason}");
                    Assert.False(decision.Ambiguous, context + ": " + decision.Reason);
                    Assert.Same(decision.Winner, table.Select(entryPoint, RouteQuery.FromConnection(name, tls, null, null), tls).Router);
                }
            }

            checkedSets++;
        }

        Assert.Equal(400, checkedSets);
    }

    /// <summary>
    /// The exposure an operator means: the one naming it exactly, else the one whose one-label
    /// wildcard covers it, else the one whose any-depth wildcard with the longest domain covers it.
    /// </summary>
    private static string MostSpecificOwner(IEnumerable<ExposedHost> set, string name)
    {
        var hosts = set.ToList();
        ExposedHost? exact = hosts.FirstOrDefault(h => h.Hostname.Contains(name));
        if (exact is not null)
        {
            return exact.Name;
        }

        string parent = name.Substring(name.IndexOf('.') + 1);
        ExposedHost? oneLabel = hosts.SingleOrDefault(h => h.Hostname.Contains("*." + parent));
        if (oneLabel is not null)
        {
            return oneLabel.Name;
        }

        return hosts
            .SelectMany(h => h.Hostname.Where(HostnameNormalizer.IsAnyDepth).Where(w => HostnameNormalizer.Covers(w, name)).Select(w => (Host: h, Domain: HostnameNormalizer.WildcardDomain(w))))
            .OrderByDescending(c => c.Domain.Length)
            .First().Host.Name;
    }
}

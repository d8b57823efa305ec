using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Rules;
using ClusterExpose.Engine.Validation;
using Xunit;

namespace ClusterExpose.Engine.Tests.Routing;

/// <summary>The rule and routing tables in rule-cases.txt and decision-cases.txt, one test case per entry.</summary>
public sealed class RoutingCaseTests
{
    public static IEnumerable<object[]> RuleCases() =>
        File.ReadAllLines(TestData.Folder("Routing/rule-cases.txt"))
            .Select((line, index) => (line, number: index + 1))
            .Where(l => l.line.Length > 0 && !l.line.StartsWith('#'))
            .Select(l => new object[] { l.number, l.line });

    [Theory]
    [MemberData(nameof(RuleCases))]
    public void RuleCase(int line, string text)
    {
        int separator = text.IndexOf(" :: ", StringComparison.Ordinal);
        Assert.True(separator > 0, $"line {line}: no ' :: ' before the rule");
        string rule = text.Substring(separator + 4);
        string[] fields = text.Substring(0, separator).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, fields.Length);
        RuleSyntax syntax = fields[0] == "v2" ? RuleSyntax.V2 : RuleSyntax.V3;
        RouterProtocol protocol = fields[1] == "http" ? RouterProtocol.Http : RouterProtocol.Tcp;
        bool tls = fields[1] != "tcp-plain";
        string expect = fields[2];

        CompiledRule? compiled = RuleCompiler.Compile(rule, syntax, protocol, tls, out IReadOnlyList<RuleDiagnostic> diagnostics);
        if (expect.StartsWith("error@", StringComparison.Ordinal))
        {
            string[] parts = expect.Substring("error@".Length).Split(':');
            Assert.Null(compiled);
            RuleDiagnostic diagnostic = Assert.Single(diagnostics);
            Assert.Equal(parts[1], diagnostic.Code);
            Assert.Equal(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), diagnostic.Position);
            Assert.False(string.IsNullOrWhiteSpace(diagnostic.Message));
            return;
        }

        Assert.True(compiled is not null, $"line {line}: {string.Join("; ", diagnostics)}");
        Truth expected = expect switch
        {
            "match" => Truth.True,
            "nomatch" => Truth.False,
            "unknown" => Truth.Unknown,
            _ => throw new InvalidDataException($"line {line}: unknown expectation '{expect}'"),
        };
        // A TCP router without TLS sees no name, whatever the connection carries.
        RouteQuery query = Query(fields[3], tls: protocol == RouterProtocol.Tcp);
        Assert.Equal(expected, compiled!.Evaluate(tls ? query : query.WithoutName()));
    }

    public static IEnumerable<object[]> DecisionCases() =>
        ReadBlocks().Select(b => new object[] { b.Line, b.Title });

    [Theory]
    [MemberData(nameof(DecisionCases))]
    public void DecisionCase(int line, string title)
    {
        Block block = ReadBlocks().Single(b => b.Line == line);
        Assert.Equal(title, block.Title);
        string[] ask = block.Ask.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        RouteTable table = RouteTable.Build(block.Routes.Select(r => Router(r, block.Version)));
        bool tls = ask.Length > 2 ? ask[2] == "tls" : table.ExpectsTls(ask[0]);
        RouteDecision decision = table.Decide(ask[0], Query(ask[1], tls), tls);

        string[] expect = block.Expect.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(expect[0] == "none" ? null : expect[0], decision.Winner?.Name);
        Assert.Equal(Enum.Parse<RouteKind>(expect[1]), decision.Kind);
        Assert.Equal(expect.Contains("ambiguous"), decision.Ambiguous);
        Assert.Equal(expect.Contains("conditional"), decision.Conditional);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));

        // The proxy's allocation-free path must decide exactly as the explained one.
        RouteSelection selection = table.Select(ask[0], Query(ask[1], tls), tls);
        Assert.Same(decision.Winner, selection.Router);
        Assert.Equal(decision.Conditional, selection.Conditional);
        Assert.Equal(decision.Kind == RouteKind.AcmeTlsAlpn, selection.AcmeTlsAlpn);
        if (decision.Winner is not null)
        {
            Assert.Contains(decision.Winner.Name, decision.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(decision.Shadowed, s => s.Router == decision.Winner.Name);
        }
    }

    [Fact]
    public void TheTablesHoldEnoughCases()
    {
        // The rule language is the product's core promise; the tables are its specification.
        Assert.True(RuleCases().Count() + DecisionCases().Count() >= 150);
        Assert.Contains(RuleCases(), c => ((string)c[1]).StartsWith("v2", StringComparison.Ordinal));
        Assert.Contains(RuleCases(), c => ((string)c[1]).Contains("error@", StringComparison.Ordinal));
    }

    [Fact]
    public void ANameNoRuleMayMatchReachesOnlyACatchAll()
    {
        // A ClientHello or Host header with bytes no host name has (the parsers flag it): no rule that
        // compares names takes it, not even a regexp that matches anything; HostSNI(`*`) still does.
        RouterDefinition Tcp(string name, string rule) => new(name, RouterProtocol.Tcp, new[] { "websecure" }, rule, RuleSyntax.V3, 0, RouterTls.Passthrough, name, 443, "test");
        RouteQuery unroutable = RouteQuery.WithUnroutableName(null, new[] { "h2" });
        var named = RouteTable.Build(new[] { Tcp("ns/exact", "HostSNI(`a.example`)"), Tcp("ns/any", "HostSNIRegexp(`^.*$`)") });
        Assert.Null(named.Select("websecure", unroutable, tls: true).Router);
        Assert.Equal("ns/any", named.Select("websecure", new RouteQuery("a_b.example"), tls: true).Router?.Name);

        var withCatchAll = RouteTable.Build(new[] { Tcp("ns/any", "HostSNIRegexp(`^.*$`)"), Tcp("ns/rest", "HostSNI(`*`)") });
        Assert.Equal("ns/rest", withCatchAll.Select("websecure", unroutable, tls: true).Router?.Name);
        Assert.Equal("ns/rest", withCatchAll.Decide("websecure", unroutable, tls: true).Winner?.Name);
    }

    /// <summary>A name as Test-SniRoute takes it: normalised, with a trailing dot kept for what the Host header carries.</summary>
    internal static RouteQuery Query(string field, bool tls = false)
    {
        string[] parts = field.Split(',');
        string name = string.Empty;
        if (parts[0] != "-")
        {
            // Names Test-SniRoute refuses (an address, an underscore) still reach the proxy as they are.
            name = HostnameNormalizer.TryNormalize(parts[0], out string normalized) is null ? normalized : parts[0].TrimEnd('.').ToLowerInvariant();
        }

        IPAddress? address = null;
        IReadOnlyList<string>? alpn = null;
        foreach (string option in parts.Skip(1))
        {
            if (option.StartsWith("ip=", StringComparison.Ordinal))
            {
                address = IPAddress.Parse(option.Substring(3));
            }
            else if (option.StartsWith("alpn=", StringComparison.Ordinal))
            {
                alpn = option.Substring(5).Split('+');
            }
        }

        return RouteQuery.FromConnection(parts[0].EndsWith('.') ? name + "." : name, tls, address, alpn);
    }

    /// <summary>Reads a route line: <c>namespace/name http|tcp none|tls|passthrough entry,points|* [priority=N] [syntax=v2] [service=S] [port=P] :: rule</c>.</summary>
    internal static RouterDefinition Router(string text, TraefikVersion version = TraefikVersion.V3)
    {
        int separator = text.IndexOf(" :: ", StringComparison.Ordinal);
        string rule = text.Substring(separator + 4);
        string[] fields = text.Substring(0, separator).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int priority = 0;
        string service = "svc";
        int port = 443;
        RuleSyntax syntax = version == TraefikVersion.V2 ? RuleSyntax.V2 : RuleSyntax.V3;
        foreach (string option in fields.Skip(4))
        {
            if (option.StartsWith("priority=", StringComparison.Ordinal))
            {
                priority = int.Parse(option.Substring(9), System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (option == "syntax=v2")
            {
                syntax = RuleSyntax.V2;
            }
            else if (option.StartsWith("service=", StringComparison.Ordinal))
            {
                service = option.Substring(8);
            }
            else if (option.StartsWith("port=", StringComparison.Ordinal))
            {
                port = int.Parse(option.Substring(5), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        RouterTls tls = fields[2] switch { "passthrough" => RouterTls.Passthrough, "tls" => RouterTls.Terminate, _ => RouterTls.None };
        string[] entryPoints = fields[3] == "*" ? Array.Empty<string>() : fields[3].Split(',');
        return new RouterDefinition(fields[0], fields[1] == "http" ? RouterProtocol.Http : RouterProtocol.Tcp, entryPoints, rule, syntax, priority, tls, service, port, "decision-cases.txt");
    }

    private sealed record Block(int Line, string Title, string Ask, string Expect, List<string> Routes, TraefikVersion Version);

    private static List<Block> ReadBlocks()
    {
        var blocks = new List<Block>();
        string[] lines = File.ReadAllLines(TestData.Folder("Routing/decision-cases.txt"));
        Block? current = null;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            string key = line.Substring(0, colon);
            string value = line.Substring(colon + 2);
            switch (key)
            {
                case "case":
                    current = new Block(i + 1, value, string.Empty, string.Empty, new List<string>(), TraefikVersion.V3);
                    blocks.Add(current);
                    break;
                case "ask":
                    blocks[^1] = current = current! with { Ask = value };
                    break;
                case "expect":
                    blocks[^1] = current = current! with { Expect = value };
                    break;
                case "version":
                    blocks[^1] = current = current! with { Version = value == "v2" ? TraefikVersion.V2 : TraefikVersion.V3 };
                    break;
                case "route":
                    current!.Routes.Add(value);
                    break;
                default:
                    throw new InvalidDataException($"decision-cases.txt line {i + 1}: unknown key '{key}'");
            }
        }

        return blocks;
    }
}

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Rules;

namespace ClusterExpose.OracleAgreement;

/// <summary>
/// Generates random Traefik route sets and connections, asks the engine's route table and an
/// external oracle (Traefik's own router code) where each connection goes, and reports the share of
/// answers that agree with every disagreement written out. Usage:
/// <c>ClusterExpose.OracleAgreement --oracle PATH [--cases N] [--seed N] [--out FILE]</c>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string? oracle = null;
        int cases = 6000;
        int seed = 1;
        string output = "oracle-disagreements.txt";
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--oracle": oracle = args[i + 1]; break;
                case "--cases": cases = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--out": output = args[i + 1]; break;
            }
        }

        if (oracle is null)
        {
            Console.Error.WriteLine("usage: ClusterExpose.OracleAgreement --oracle PATH [--cases N] [--seed N] [--out FILE]");
            return 2;
        }

        var generator = new RouteSetGenerator(new Random(seed));
        var generated = Enumerable.Range(0, cases).Select(_ => generator.Next()).ToList();
        JsonArray answers = AskOracle(oracle, generated);

        int queries = 0;
        int agreed = 0;
        int rejectDisagreements = 0;
        var report = new List<string>();
        for (int c = 0; c < generated.Count; c++)
        {
            GeneratedCase item = generated[c];
            JsonNode oracleCase = answers[c]!;
            RouteTable table = RouteTable.Build(item.Routers.Select(r => r.ToDefinition()));
            // Traefik builds only the entry points a connection arrives on, so only those report refusals.
            var asked = item.Queries.Select(q => q.EntryPoint).ToHashSet(StringComparer.Ordinal);
            var ourRejected = table.Rejected.Where(r => asked.Any(r.Definition.IsOn)).Select(r => r.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
            var theirRejected = oracleCase["rejected"]!.AsArray().Select(r => r!["name"]!.GetValue<string>()).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
            if (!ourRejected.SequenceEqual(theirRejected))
            {
                rejectDisagreements++;
                report.Add($"case {c}: rejected differ: ours [{string.Join(", ", ourRejected)}], Traefik [{string.Join(", ", theirRejected)}]\n{Describe(item)}\n  oracle: {oracleCase["rejected"]!.ToJsonString()}\n");
            }

            JsonArray caseAnswers = oracleCase["answers"]!.AsArray();
            for (int q = 0; q < item.Queries.Count; q++)
            {
                GeneratedQuery query = item.Queries[q];
                JsonNode answer = caseAnswers[q]!;
                string? theirs = answer["router"]?.GetValue<string>();
                var acceptable = new HashSet<string?> { theirs };
                if (answer["ambiguous"]?.GetValue<bool>() == true && answer["candidates"] is JsonArray candidates)
                {
                    foreach (JsonNode? candidate in candidates)
                    {
                        acceptable.Add(candidate is JsonObject o ? o["router"]?.GetValue<string>() : candidate?.GetValue<string>());
                    }
                }

                RouteDecision decision = table.Decide(query.EntryPoint, query.ToRouteQuery(), query.Tls);
                string? ours = decision.Winner?.Name;
                queries++;
                if (acceptable.Contains(ours))
                {
                    agreed++;
                }
                else
                {
                    report.Add($"case {c} query {q}: ours {ours ?? "(none)"}, Traefik {theirs ?? "(none)"} [{answer.ToJsonString()}]\n{Describe(item)}\n  query: {query}\n  ours: {decision.Reason}\n");
                }
            }
        }

        File.WriteAllText(output, string.Join("\n", report));
        double share = 100.0 * agreed / queries;
        Console.WriteLine($"{agreed} of {queries} answers agree ({share:F2}%); {rejectDisagreements} of {cases} cases differ on rejected routers; details in {output}");
        return 0;
    }

    private static string Describe(GeneratedCase item) =>
        string.Join("\n", item.Routers.Select(r => "  " + r));

    private static JsonArray AskOracle(string oracle, IReadOnlyList<GeneratedCase> cases)
    {
        var batch = new JsonObject { ["cases"] = new JsonArray(cases.Select(c => (JsonNode)c.ToJson()).ToArray()) };
        var start = new ProcessStartInfo(oracle) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        using Process process = Process.Start(start)!;
        var reading = process.StandardOutput.ReadToEndAsync();
        process.StandardInput.Write(batch.ToJsonString());
        process.StandardInput.Close();
        string text = reading.GetAwaiter().GetResult();
        process.WaitForExit();
        return JsonNode.Parse(text)!["cases"]!.AsArray();
    }
}

internal sealed record GeneratedRouter(string Name, string Kind, string[] EntryPoints, string Rule, int Priority, string Syntax, bool Tls, bool Passthrough)
{
    public RouterDefinition ToDefinition() => new(
        Name,
        Kind == "tcp" ? RouterProtocol.Tcp : RouterProtocol.Http,
        EntryPoints,
        Rule,
        Syntax == "v2" ? RuleSyntax.V2 : RuleSyntax.V3,
        Priority,
        !Tls ? RouterTls.None : Passthrough ? RouterTls.Passthrough : RouterTls.Terminate,
        null,
        null,
        null);

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["entryPoints"] = new JsonArray(EntryPoints.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
        ["kind"] = Kind,
        ["rule"] = Rule,
        ["priority"] = Priority,
        ["syntax"] = Syntax,
        ["tls"] = Tls,
        ["passthrough"] = Passthrough,
    };

    public override string ToString() =>
        $"{Name} {Kind}{(Tls ? Passthrough ? "+passthrough" : "+tls" : string.Empty)} [{string.Join(",", EntryPoints)}] syntax={(Syntax.Length == 0 ? "default" : Syntax)} priority={Priority} rule={Rule}";
}

internal sealed record GeneratedQuery(string EntryPoint, bool Tls, string ServerName, string ClientIP, string[] Alpn)
{
    public RouteQuery ToRouteQuery() => RouteQuery.FromConnection(ServerName, Tls, IPAddress.Parse(ClientIP), Alpn);

    public JsonObject ToJson() => new()
    {
        ["entryPoint"] = EntryPoint,
        ["tls"] = Tls,
        ["serverName"] = ServerName,
        ["clientIP"] = ClientIP,
        ["alpn"] = new JsonArray(Alpn.Select(a => (JsonNode)JsonValue.Create(a)!).ToArray()),
    };

    public override string ToString() => $"{EntryPoint} {(Tls ? "tls" : "plain")} name='{ServerName}' client={ClientIP} alpn=[{string.Join(",", Alpn)}]";
}

internal sealed record GeneratedCase(List<GeneratedRouter> Routers, List<GeneratedQuery> Queries)
{
    public JsonObject ToJson() => new()
    {
        ["routers"] = new JsonArray(Routers.Select(r => (JsonNode)r.ToJson()).ToArray()),
        ["queries"] = new JsonArray(Queries.Select(q => (JsonNode)q.ToJson()).ToArray()),
    };
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Security;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using ClusterExpose.FakeKubeApi;
using Xunit;

namespace ClusterExpose.Engine.Tests.Cluster;

/// <summary>
/// Holds FakeApiServer, the FAKE API server the cluster tests run against, to what a REAL
/// kube-apiserver 1.36.2 answered: every request of the recorded transcripts (Transcripts/, see its
/// README) is sent again, in order, to a fresh fake set up as the recorded cluster was, and the fake
/// must give the recorded answer: status, content type, Warning header, and the shape of the body
/// (the kind of body; a Status's status, reason, message, details and causes; an object's identity,
/// resourceVersion and uid behaviour, server-set fields and field managers; a list's items; the
/// discovery documents). uids and resourceVersions differ between the two servers, so each recorded
/// one is mapped to the fake's the first time both are seen, and must map the same way after that.
/// </summary>
public sealed class TranscriptReplayTests
{
    private const FakeRouteApis V3Only = FakeRouteApis.TraefikV3 | FakeRouteApis.GatewayV1 | FakeRouteApis.K3sHelm;
    private const FakeRouteApis DualGroup = V3Only | FakeRouteApis.TraefikV2Legacy;
    private const string CiUser = "system:serviceaccount:rec-ci:ci";

    /// <summary>Recorded exchanges not replayed, each with the reason; the test counts them so the list stays short.</summary>
    private static readonly Dictionary<string, string> NotReplayed = new(StringComparer.Ordinal)
    {
        ["m07-kubectl-apply-other-manager-no-force GET /openapi/v3"] = "kubectl's own schema download; ClusterExpose never reads OpenAPI",
        ["m08-kubectl-apply-other-manager-force-conflicts GET /openapi/v3"] = "kubectl's own schema download (a 304 to its cache)",
    };

    public static IEnumerable<object[]> Transcripts() => new[]
    {
        new object[] { "a-dual-group-admin" },
        new object[] { "b-v3-only-admin" },
        new object[] { "c-v3-only-ci" },
        new object[] { "d-errors" },
        new object[] { "d-discovery" },
    };

    [Theory]
    [MemberData(nameof(Transcripts))]
    public async Task TheFakeAnswersEveryRecordedRequestAsTheRealServerDid(string transcript)
    {
        List<JsonObject> exchanges = Load(transcript);
        var differences = new List<string>();
        int replayed = 0;
        int skipped = 0;
        foreach (var part in Parts(transcript, exchanges))
        {
            await using FakeApiServer fake = await FakeApiServer.StartAsync(part.Apis);
            foreach (string ns in part.Namespaces)
            {
                fake.AddNamespace(ns);
            }

            string ciToken = fake.AddAccount(CiUser, FakeApiServer.ParseDocuments(File.ReadAllText(Fixture("ci-role.rendered.yaml"))));
            var replay = new Replayer(fake);
            foreach (JsonObject exchange in part.Exchanges)
            {
                string step = (string)exchange["step"]!;
                string request = $"{step} {exchange["request"]!["method"]} {exchange["request"]!["path"]}";
                if (NotReplayed.ContainsKey(request))
                {
                    skipped++;
                    continue;
                }

                string? token = AccountOf(transcript, step) switch
                {
                    "ci" => ciToken,
                    "bad" => "not-a-token",
                    "none" => null,
                    _ => fake.Token,
                };
                differences.AddRange((await replay.SendAsync(exchange, token)).Select(d => $"seq {exchange["seq"]} ({request}): {d}"));
                replayed++;
            }
        }

        Assert.Equal(exchanges.Count, replayed + skipped);
        Assert.True(replayed >= exchanges.Count - NotReplayed.Count, $"only {replayed} of {exchanges.Count} exchanges were replayed");
        Assert.True(differences.Count == 0, $"{differences.Count} answers differ from the real server's:\n" + string.Join("\n", differences));
    }

    [Fact]
    public void TheTranscriptsHoldWhatTheFactsNeed()
    {
        // The exchanges behind the facts the fake must follow are all there, so a trimmed fixture cannot pass unnoticed.
        List<JsonObject> errors = Load("d-errors");
        Assert.Equal(185, errors.Count);
        Assert.Equal(123, Load("a-dual-group-admin").Count);
        Assert.Equal(134, Load("b-v3-only-admin").Count);
        Assert.Equal(109, Load("c-v3-only-ci").Count);
        Assert.Equal(24, Load("d-discovery").Count);
        Assert.Equal("404 page not found\n", (string?)errors[0]["response"]!["body"]);
        Assert.Equal(2, NotReplayed.Count);
    }

    /// <summary>Which account sent a step: scenario c and the ci steps of d as the least-privilege account; f10 a bad token; f11 none.</summary>
    private static string AccountOf(string transcript, string step) =>
        transcript == "c-v3-only-ci" || step.StartsWith("m13-", StringComparison.Ordinal) || step.StartsWith("m14-", StringComparison.Ordinal)
            || (step.StartsWith('f') && string.CompareOrdinal(step, "f10") < 0) ? "ci"
        : step.StartsWith("f10-", StringComparison.Ordinal) ? "bad"
        : step.StartsWith("f11-", StringComparison.Ordinal) ? "none"
        : "admin";

    /// <summary>The cluster each run of exchanges was recorded against (d changed from v3-only to dual-group after seq 10).</summary>
    private static IEnumerable<(FakeRouteApis Apis, string[] Namespaces, List<JsonObject> Exchanges)> Parts(string transcript, List<JsonObject> exchanges)
    {
        switch (transcript)
        {
            case "a-dual-group-admin":
                yield return (DualGroup, new[] { "rec-dual" }, exchanges);
                break;
            case "b-v3-only-admin":
                yield return (V3Only, new[] { "rec-v3" }, exchanges);
                break;
            case "c-v3-only-ci":
                yield return (V3Only, new[] { "rec-ci" }, exchanges);
                break;
            case "d-errors":
                yield return (V3Only, new[] { "rec-err", "rec-ci" }, exchanges.Where(e => (int)e["seq"]! <= 10).ToList());
                yield return (DualGroup, new[] { "rec-err", "rec-ci" }, exchanges.Where(e => (int)e["seq"]! > 10).ToList());
                break;
            default:
                yield return (V3Only, Array.Empty<string>(), exchanges.Where(e => ((string)e["step"]!).StartsWith("v3only-", StringComparison.Ordinal)).ToList());
                yield return (DualGroup, Array.Empty<string>(), exchanges.Where(e => ((string)e["step"]!).StartsWith("dual-", StringComparison.Ordinal)).ToList());
                break;
        }
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Cluster", "Transcripts", name);

    private static List<JsonObject> Load(string transcript) =>
        File.ReadAllLines(Fixture(transcript + ".jsonl")).Where(l => l.Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    /// <summary>Sends recorded requests to the fake and compares its answers with the recorded ones.</summary>
    private sealed class Replayer
    {
        private readonly FakeApiServer fake;
        private readonly HttpClient http;
        private readonly Dictionary<string, string> recordedToFake = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> fakeToRecorded = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (string? Recorded, string? Fake)> lastTimes = new(StringComparer.Ordinal);

        public Replayer(FakeApiServer fake)
        {
            this.fake = fake;
            string thumbprint = fake.Certificate.Thumbprint;
            http = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint },
            });
        }

        public async Task<List<string>> SendAsync(JsonObject exchange, string? token)
        {
            JsonNode recordedRequest = exchange["request"]!;
            var uri = new StringBuilder(fake.Url.ToString().TrimEnd('/')).Append((string)recordedRequest["path"]!);
            var query = recordedRequest["query"] as JsonObject ?? new JsonObject();
            string separator = "?";
            foreach (var (key, value) in query)
            {
                foreach (JsonNode? item in value is JsonArray list ? list.ToArray() : new[] { value })
                {
                    uri.Append(separator).Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString((string?)item ?? string.Empty));
                    separator = "&";
                }
            }

            using var request = new HttpRequestMessage(new HttpMethod((string)recordedRequest["method"]!), uri.ToString());
            if (token is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            }

            if ((string?)recordedRequest["userAgent"] is { } agent)
            {
                request.Headers.TryAddWithoutValidation("User-Agent", agent);
            }

            if ((string?)recordedRequest["accept"] is { } accept)
            {
                request.Headers.TryAddWithoutValidation("Accept", accept);
            }

            if (recordedRequest["body"] is JsonNode body)
            {
                string text = body.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)body! : Substitute(body.DeepClone()).ToJsonString();
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
                request.Content.Headers.TryAddWithoutValidation("Content-Type", (string?)recordedRequest["contentType"] ?? "application/json");
            }

            using HttpResponseMessage response = await http.SendAsync(request);
            string content = await response.Content.ReadAsStringAsync();
            JsonNode recorded = exchange["response"]!;
            var differences = new List<string>();
            Expect(differences, "status", ((int)recorded["status"]!).ToString(), ((int)response.StatusCode).ToString());
            if ((string?)recorded["contentType"] is { } recordedType)
            {
                Expect(differences, "content type", recordedType.Split(';')[0], response.Content.Headers.ContentType?.MediaType ?? "(none)");
            }

            string? warning = response.Headers.TryGetValues("Warning", out var warnings) ? warnings.First() : null;
            Expect(differences, "Warning header", (string?)recorded["warning"] ?? "(none)", warning ?? "(none)");
            JsonNode? recordedBody = recorded["body"];
            if (recordedBody?.GetValueKind() == System.Text.Json.JsonValueKind.String)
            {
                Expect(differences, "body", (string)recordedBody!, content);
            }
            else if (recordedBody is JsonObject expected)
            {
                JsonNode? actual;
                try
                {
                    actual = JsonNode.Parse(content);
                }
                catch (System.Text.Json.JsonException)
                {
                    differences.Add($"the body is not JSON: {content}");
                    return differences;
                }

                CompareBody(differences, expected, actual as JsonObject ?? new JsonObject());
            }

            return differences;
        }

        private void CompareBody(List<string> differences, JsonObject expected, JsonObject actual)
        {
            string? kind = (string?)expected["kind"];
            Expect(differences, "kind", kind ?? "(none)", T(actual["kind"]));
            switch (kind)
            {
                case "Status":
                    CompareStatus(differences, expected, actual);
                    break;
                case "APIGroupList":
                    foreach (JsonObject group in (actual["groups"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
                    {
                        JsonObject? real = (expected["groups"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(g => (string?)g["name"] == (string?)group["name"]);
                        if (real is null)
                        {
                            differences.Add($"group {group["name"]} is served by the fake, not by the real server");
                            continue;
                        }

                        CompareGroup(differences, real, group);
                    }

                    break;
                case "APIGroup":
                    CompareGroup(differences, expected, actual);
                    break;
                case "APIResourceList":
                    var realNames = Names(expected["resources"]);
                    var fakeNames = Names(actual["resources"]);
                    string groupVersion = (string?)expected["groupVersion"] ?? string.Empty;
                    bool complete = groupVersion.StartsWith("traefik.", StringComparison.Ordinal) || groupVersion.StartsWith("helm.", StringComparison.Ordinal);
                    // A route API's kinds must be exactly the real ones; of the built-in groups the fake serves those ClusterExpose uses.
                    if (complete ? !realNames.SetEquals(fakeNames) : !fakeNames.IsSubsetOf(realNames))
                    {
                        differences.Add($"resources of {groupVersion}: real [{string.Join(",", realNames.Order())}], fake [{string.Join(",", fakeNames.Order())}]");
                    }

                    break;
                case "APIVersions":
                    Expect(differences, "versions", expected["versions"]!.ToJsonString(), actual["versions"]?.ToJsonString() ?? "(none)");
                    break;
                case null:
                    Expect(differences, "gitVersion", T(expected["gitVersion"]), T(actual["gitVersion"]));
                    break;
                case string list when list.EndsWith("List", StringComparison.Ordinal):
                    Expect(differences, "first key of the list", expected.First().Key, actual.FirstOrDefault().Key ?? "(none)");
                    Expect(differences, "list metadata", Keys(expected["metadata"]), Keys(actual["metadata"]));
                    var realItems = (expected["items"] as JsonArray ?? new JsonArray()).OfType<JsonObject>().ToList();
                    var fakeItems = (actual["items"] as JsonArray ?? new JsonArray()).OfType<JsonObject>().ToList();
                    Expect(differences, "items", string.Join(",", realItems.Select(ItemName).Order()), string.Join(",", fakeItems.Select(ItemName).Order()));
                    foreach (JsonObject item in realItems)
                    {
                        if (fakeItems.FirstOrDefault(f => ItemName(f) == ItemName(item)) is { } match)
                        {
                            CompareObject(differences, item, match);
                        }
                    }

                    break;
                default:
                    CompareObject(differences, expected, actual);
                    break;
            }
        }

        private void CompareStatus(List<string> differences, JsonObject expected, JsonObject actual)
        {
            Expect(differences, "Status fields", Keys(expected), Keys(actual));
            Expect(differences, "status", T(expected["status"]), T(actual["status"]));
            Expect(differences, "reason", T(expected["reason"]), T(actual["reason"]));
            Expect(differences, "message", Mapped(T(expected["message"])), T(actual["message"]));
            if (expected["details"] is JsonObject details)
            {
                var fakeDetails = actual["details"] as JsonObject ?? new JsonObject();
                Expect(differences, "details fields", Keys(details), Keys(fakeDetails));
                foreach (string field in new[] { "name", "group", "kind" })
                {
                    Expect(differences, "details." + field, T(details[field]), T(fakeDetails[field]));
                }

                if ((string?)details["uid"] is { } uid)
                {
                    Observe(differences, "details.uid", uid, (string?)fakeDetails["uid"]);
                }

                string Causes(JsonObject d) => string.Join(" | ", (d["causes"] as JsonArray ?? new JsonArray()).OfType<JsonObject>()
                    .Select(c => $"{c["reason"]}; {c["field"]}; {c["message"]}"));
                Expect(differences, "causes", Causes(details), Causes(fakeDetails));
            }
        }

        private static void CompareGroup(List<string> differences, JsonObject real, JsonObject fake)
        {
            var realVersions = Names(real["versions"], "version");
            var fakeVersions = Names(fake["versions"], "version");
            if (!fakeVersions.IsSubsetOf(realVersions))
            {
                differences.Add($"versions of {real["name"]}: real [{string.Join(",", realVersions)}], fake [{string.Join(",", fakeVersions)}]");
            }

            Expect(differences, $"preferred version of {real["name"]}", (string?)real["preferredVersion"]?["version"] ?? "(none)", (string?)fake["preferredVersion"]?["version"] ?? "(none)");
        }

        private void CompareObject(List<string> differences, JsonObject expected, JsonObject actual)
        {
            Expect(differences, "apiVersion", T(expected["apiVersion"]), T(actual["apiVersion"]));
            Expect(differences, "top-level fields", Keys(expected), Keys(actual));
            if (expected["spec"] is JsonObject spec && (string?)expected["kind"] is "Service" or "HelmChartConfig")
            {
                // Server defaults: a Service's cluster IPs, families and policies; a HelmChartConfig's failurePolicy.
                Expect(differences, "spec fields", Keys(spec), Keys(actual["spec"]));
            }

            JsonObject metadata = expected["metadata"] as JsonObject ?? new JsonObject();
            JsonObject fakeMetadata = actual["metadata"] as JsonObject ?? new JsonObject();
            Expect(differences, "metadata.name", (string?)metadata["name"] ?? "(none)", (string?)fakeMetadata["name"] ?? "(none)");
            Expect(differences, "metadata.namespace", (string?)metadata["namespace"] ?? "(none)", (string?)fakeMetadata["namespace"] ?? "(none)");
            foreach (string field in new[] { "resourceVersion", "uid", "generation", "deletionTimestamp", "finalizers" })
            {
                Expect(differences, $"has metadata.{field}", (metadata[field] is not null).ToString(), (fakeMetadata[field] is not null).ToString());
            }

            Expect(differences, "metadata.generation", metadata["generation"]?.ToJsonString() ?? "(none)", fakeMetadata["generation"]?.ToJsonString() ?? "(none)");
            Expect(differences, "metadata.finalizers", metadata["finalizers"]?.ToJsonString() ?? "(none)", fakeMetadata["finalizers"]?.ToJsonString() ?? "(none)");
            if ((string?)metadata["resourceVersion"] is { } version)
            {
                Observe(differences, "resourceVersion", version, (string?)fakeMetadata["resourceVersion"]);
            }

            if ((string?)metadata["uid"] is { } uid)
            {
                Observe(differences, "uid", uid, (string?)fakeMetadata["uid"]);
            }

            // Field managers: who, by which operation, and whether a time is kept; a time the real server rewrote must be rewritten too.
            string Managers(JsonObject m) => string.Join(", ", (m["managedFields"] as JsonArray ?? new JsonArray()).OfType<JsonObject>()
                .Select(e => $"{e["manager"]}/{e["operation"]}{(e["time"] is null ? " (no time)" : string.Empty)}").Order());
            Expect(differences, "managedFields", Managers(metadata), Managers(fakeMetadata));
            foreach (JsonObject entry in (metadata["managedFields"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
            {
                string key = $"{metadata["namespace"]}/{metadata["name"]}/{entry["manager"]}/{entry["operation"]}";
                string? fakeTime = (fakeMetadata["managedFields"] as JsonArray ?? new JsonArray()).OfType<JsonObject>()
                    .FirstOrDefault(e => (string?)e["manager"] == (string?)entry["manager"] && (string?)e["operation"] == (string?)entry["operation"])?["time"]?.ToString();
                string? recordedTime = (string?)entry["time"];
                if (lastTimes.TryGetValue(key, out var last) && last.Recorded != recordedTime && last.Fake == fakeTime)
                {
                    differences.Add($"the real server rewrote the managedFields time of {key}, the fake kept it");
                }

                lastTimes[key] = (recordedTime, fakeTime);
            }
        }

        /// <summary>A recorded uid or resourceVersion stands for one of the fake's, the same one every time.</summary>
        private void Observe(List<string> differences, string what, string recorded, string? actual)
        {
            if (actual is null)
            {
                differences.Add($"{what}: real {recorded}, fake none");
                return;
            }

            if (recordedToFake.TryGetValue(recorded, out string? known) && known != actual)
            {
                differences.Add($"{what}: the real server answered {recorded} again, the fake {actual} instead of {known}");
            }
            else if (fakeToRecorded.TryGetValue(actual, out string? was) && was != recorded)
            {
                differences.Add($"{what}: the fake answered {actual} again, the real server {recorded} instead of {was}");
            }
            else
            {
                recordedToFake[recorded] = actual;
                fakeToRecorded[actual] = recorded;
            }
        }

        /// <summary>A recorded request body with the recorded uids and resourceVersions in it turned into the fake's.</summary>
        private JsonNode Substitute(JsonNode node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (string key in obj.Select(p => p.Key).ToList())
                    {
                        if (obj[key] is { } child)
                        {
                            obj[key] = Substitute(child.DeepClone());
                        }
                    }

                    return obj;
                case JsonArray array:
                    return new JsonArray(array.Select(item => item is null ? null : Substitute(item.DeepClone())).ToArray());
                default:
                    return node.GetValueKind() == System.Text.Json.JsonValueKind.String && recordedToFake.TryGetValue((string)node!, out string? mapped) ? JsonValue.Create(mapped)! : node;
            }
        }

        /// <summary>A recorded message with the recorded uids and resourceVersions in it written as the fake's.</summary>
        private string Mapped(string message)
        {
            foreach (var (recorded, actual) in recordedToFake.OrderByDescending(p => p.Key.Length))
            {
                message = message.Replace($"({recorded})", $"({actual})", StringComparison.Ordinal);
            }

            return message;
        }

        private static void Expect(List<string> differences, string what, string expected, string actual)
        {
            if (expected != actual)
            {
                differences.Add($"{what}: real <{expected}>, fake <{actual}>");
            }
        }

        /// <summary>A field's value as text, whatever its JSON type.</summary>
        private static string T(JsonNode? node) =>
            node is null ? "(none)" : node.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)node! : node.ToJsonString();

        private static string Keys(JsonNode? node) => node is JsonObject obj ? string.Join(",", obj.Select(p => p.Key).Order(StringComparer.Ordinal)) : "(none)";

        private static HashSet<string> Names(JsonNode? list, string field = "name") =>
            (list as JsonArray ?? new JsonArray()).OfType<JsonObject>().Select(r => (string?)r[field] ?? string.Empty).Where(n => !n.Contains('/')).ToHashSet(StringComparer.Ordinal);

        private static string ItemName(JsonObject item) => $"{item["metadata"]?["namespace"]}/{item["metadata"]?["name"]}";
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace ClusterExpose.FakeKubeApi;

/// <summary>A request as the fake received it, for tests to assert what was (and was not) sent.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? ContentType, string? FieldManager, string? DryRun, string? FieldValidation, string? Force);

/// <summary>
/// A FAKE Kubernetes API server, for tests only: no cluster can run where the tests run. It serves
/// HTTPS on 127.0.0.1 with a certificate made at start, and checks what a real API server checks for
/// the calls ClusterExpose makes: bearer token (401), RBAC denials set by the test (403), discovery
/// documents, server-side apply (the apply content type, a field manager, dryRun=All only, strict
/// field validation, names, namespaces, endpoint addresses, field ownership per manager with 409 on
/// a conflict unless forced, a resourceVersion in the body checked), label selectors, delete
/// preconditions on uid and resourceVersion (409), and answers every failure with a Kubernetes
/// Status body. Reads and writes of v1 Endpoints carry
/// the deprecation warning header, as since Kubernetes 1.33.
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    public const string ApplyContentType = "application/apply-patch+yaml";
    public const string EndpointsDeprecation = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice";

    private readonly object gate = new();
    private readonly Dictionary<string, StoredObject> objects = new(StringComparer.Ordinal);
    private readonly List<RecordedRequest> requests = new();
    private readonly HashSet<string> forbidden = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<ServedResource> served;
    private readonly WebApplication app;
    private long resourceVersion = 1000;

    private FakeApiServer(FakeRouteApis apis, string token, WebApplication app, X509Certificate2 certificate)
    {
        served = ApiCatalog.Build(apis);
        Token = token;
        this.app = app;
        Certificate = certificate;
        foreach (string name in new[] { "default", "kube-system", "edge" })
        {
            AddNamespace(name);
        }
    }

    public string Token { get; }

    public X509Certificate2 Certificate { get; }

    public Uri Url { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (gate)
            {
                return requests.ToList();
            }
        }
    }

    public static async Task<FakeApiServer> StartAsync(FakeRouteApis apis, int port = 0)
    {
        X509Certificate2 certificate = CreateCertificate();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificate)));
        WebApplication app = builder.Build();
        var server = new FakeApiServer(apis, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(), app, certificate);
        app.Run(server.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        string address = app.Urls.First();
        server.Url = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        Certificate.Dispose();
    }

    /// <summary>Writes a kubeconfig for this server (CA data, bearer token) and returns its path.</summary>
    public string WriteKubeConfig(string path, string context = "fake", string? namespaceName = null, string? token = null)
    {
        string ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(Certificate.ExportCertificatePem()));
        string ns = namespaceName is null ? string.Empty : $"\n    namespace: {namespaceName}";
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: {context}
            clusters:
            - name: fake
              cluster:
                server: {Url.ToString().TrimEnd('/')}
                certificate-authority-data: {ca}
            users:
            - name: fake
              user:
                token: {token ?? Token}
            contexts:
            - name: {context}
              context:
                cluster: fake
                user: fake{ns}
            """);
        return path;
    }

    /// <summary>
    /// Denies one verb on one resource (plural, such as "ingressroutes") from now on, as RBAC would;
    /// with <paramref name="clusterScopeOnly"/> only across all namespaces, as for an account that has
    /// a Role in each namespace but no ClusterRole.
    /// </summary>
    public void Forbid(string verb, string plural, bool clusterScopeOnly = false)
    {
        lock (gate)
        {
            forbidden.Add(verb + " " + plural + (clusterScopeOnly ? " cluster" : string.Empty));
        }
    }

    public void ClearRequests()
    {
        lock (gate)
        {
            requests.Clear();
        }
    }

    /// <summary>Stores an object as if another tool had created it (its fields owned by <paramref name="manager"/>).</summary>
    public JsonObject Seed(JsonObject obj, string manager = "kubectl")
    {
        lock (gate)
        {
            ServedResource type = served.First(r => r.ApiVersion == (string?)obj["apiVersion"] && r.Kind == (string?)obj["kind"]);
            string ns = (string?)obj["metadata"]?["namespace"] ?? "default";
            string name = (string?)obj["metadata"]?["name"] ?? throw new ArgumentException("the object has no metadata.name");
            var stored = new StoredObject(type, (JsonObject)obj.DeepClone());
            stored.Object["metadata"]!["namespace"] = type.Namespaced ? ns : null;
            Stamp(stored.Object, created: true);
            stored.Owners[manager] = Leaves(obj).ToDictionary(l => l.Path, l => l.Value);
            objects[Key(type, ns, name)] = stored;
            return (JsonObject)Present(stored).DeepClone();
        }
    }

    /// <summary>The stored object, or null.</summary>
    public JsonObject? Find(string apiVersion, string kind, string namespaceName, string name)
    {
        lock (gate)
        {
            ServedResource? type = served.FirstOrDefault(r => r.ApiVersion == apiVersion && r.Kind == kind);
            return type is not null && objects.TryGetValue(Key(type, namespaceName, name), out StoredObject? stored) ? (JsonObject)Present(stored).DeepClone() : null;
        }
    }

    public IReadOnlyList<JsonObject> All()
    {
        lock (gate)
        {
            return objects.Values.Where(o => o.Type.Kind != "Namespace").Select(o => (JsonObject)Present(o).DeepClone()).ToList();
        }
    }

    /// <summary>Changes an object behind ClusterExpose's back (a new resourceVersion), as another writer would.</summary>
    public void Touch(string apiVersion, string kind, string namespaceName, string name)
    {
        lock (gate)
        {
            ServedResource type = served.First(r => r.ApiVersion == apiVersion && r.Kind == kind);
            StoredObject stored = objects[Key(type, namespaceName, name)];
            ((JsonObject)stored.Object["metadata"]!)["annotations"] ??= new JsonObject();
            stored.Object["metadata"]!["annotations"]!["touched-by"] = "someone-else";
            Stamp(stored.Object, created: false);
        }
    }

    private void AddNamespace(string name)
    {
        ServedResource type = served.First(r => r.Kind == "Namespace");
        var stored = new StoredObject(type, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Namespace",
            ["metadata"] = new JsonObject { ["name"] = name },
        });
        Stamp(stored.Object, created: true);
        objects[Key(type, string.Empty, name)] = stored;
    }

    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string body = await new StreamReader(request.Body, Encoding.UTF8).ReadToEndAsync().ConfigureAwait(false);
        string path = request.Path.Value ?? "/";
        lock (gate)
        {
            if (path.StartsWith("/_fake/", StringComparison.Ordinal))
            {
                Control(context, path, body);
                return;
            }

            requests.Add(new RecordedRequest(request.Method, path, request.QueryString.Value ?? string.Empty, request.ContentType,
                request.Query["fieldManager"].FirstOrDefault(), request.Query["dryRun"].FirstOrDefault(),
                request.Query["fieldValidation"].FirstOrDefault(), request.Query["force"].FirstOrDefault()));
            Reply reply = request.Headers.Authorization.ToString() == "Bearer " + Token
                ? Route(request, path, body)
                : Reply.Status(401, "Unauthorized", "Unauthorized");
            context.Response.StatusCode = reply.Code;
            context.Response.ContentType = "application/json";
            if (reply.Warning is not null)
            {
                context.Response.Headers.Append("Warning", $"299 - \"{reply.Warning}\"");
            }

            byte[] bytes = Encoding.UTF8.GetBytes(reply.Body.ToJsonString());
            context.Response.ContentLength = bytes.Length;
            context.Response.Body.WriteAsync(bytes).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Test-only endpoints for a fake started as its own process (the Pester tests).</summary>
    private void Control(HttpContext context, string path, string body)
    {
        JsonNode answer = path switch
        {
            "/_fake/requests" => JsonSerializer.SerializeToNode(requests)!,
            "/_fake/objects" => new JsonArray(All().Select(o => (JsonNode)o).ToArray()),
            "/_fake/seed" => Seed((JsonObject)JsonNode.Parse(body)!, context.Request.Query["manager"].FirstOrDefault() ?? "kubectl"),
            "/_fake/forbid" => Do(() => Forbid(context.Request.Query["verb"]!, context.Request.Query["resource"]!, context.Request.Query["scope"] == "cluster")),
            "/_fake/clear" => Do(ClearRequests),
            _ => new JsonObject { ["error"] = "unknown control path" },
        };
        byte[] bytes = Encoding.UTF8.GetBytes(answer.ToJsonString());
        context.Response.ContentType = "application/json";
        context.Response.Body.WriteAsync(bytes).AsTask().GetAwaiter().GetResult();
    }

    private static JsonNode Do(Action action)
    {
        action();
        return new JsonObject { ["ok"] = true };
    }

    private Reply Route(HttpRequest request, string path, string body)
    {
        string[] segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 1 && segments[0] == "api")
        {
            return Reply.Ok(new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1") });
        }

        if (segments.Length == 1 && segments[0] == "apis")
        {
            return Reply.Ok(GroupList());
        }

        string group;
        string version;
        int rest;
        if (segments.Length >= 2 && segments[0] == "api")
        {
            (group, version, rest) = (string.Empty, segments[1], 2);
        }
        else if (segments.Length >= 3 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], 3);
        }
        else
        {
            return Reply.Status(404, "NotFound", "the server could not find the requested resource");
        }

        if (segments.Length == rest)
        {
            return served.Any(r => r.Group == group && r.Version == version) ? Reply.Ok(ResourceList(group, version)) : Reply.Status(404, "NotFound", "the server could not find the requested resource");
        }

        string? ns = null;
        string plural;
        string? name = null;
        string[] tail = segments[rest..];
        if (tail.Length >= 3 && tail[0] == "namespaces")
        {
            (ns, plural, name) = (tail[1], tail[2], tail.Length > 3 ? tail[3] : null);
        }
        else
        {
            (plural, name) = (tail[0], tail.Length > 1 ? tail[1] : null);
        }

        ServedResource? type = served.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);
        if (type is null || tail.Length > 4)
        {
            return Reply.Status(404, "NotFound", "the server could not find the requested resource");
        }

        string verb = (request.Method, name) switch
        {
            ("GET", null) => "list",
            ("GET", _) => "get",
            ("PATCH", _) => "patch",
            ("DELETE", _) => "delete",
            _ => request.Method.ToLowerInvariant(),
        };
        if (forbidden.Contains(verb + " " + plural) || (ns is null && type.Namespaced && forbidden.Contains(verb + " " + plural + " cluster")))
        {
            string scope = ns is null ? "at the cluster scope" : $"in the namespace \"{ns}\"";
            return Reply.Status(403, "Forbidden",
                $"{type.Qualified} {(name is null ? string.Empty : $"\"{name}\" ")}is forbidden: User \"system:serviceaccount:default:clusterexpose\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}");
        }

        string? warning = type.Kind == "Endpoints" ? EndpointsDeprecation : null;
        Reply reply = (verb, name) switch
        {
            ("list", _) => List(type, ns, request.Query["labelSelector"].FirstOrDefault()),
            ("get", _) => Get(type, ns ?? string.Empty, name!),
            ("patch", _) => Apply(request, type, ns ?? string.Empty, name!, body),
            ("delete", _) => Delete(request, type, ns ?? string.Empty, name!, body),
            _ => Reply.Status(405, "MethodNotAllowed", $"{request.Method} is not supported by this fake"),
        };
        return reply with { Warning = reply.Warning ?? warning };
    }

    private JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var (group, versions) in ApiCatalog.Groups(served))
        {
            groups.Add(new JsonObject
            {
                ["name"] = group,
                ["versions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = group + "/" + v, ["version"] = v }).ToArray()),
                ["preferredVersion"] = new JsonObject { ["groupVersion"] = group + "/" + versions[0], ["version"] = versions[0] },
            });
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private JsonObject ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (ServedResource resource in served.Where(r => r.Group == group && r.Version == version))
        {
            resources.Add(new JsonObject
            {
                ["name"] = resource.Plural,
                ["singularName"] = resource.Kind.ToLowerInvariant(),
                ["namespaced"] = resource.Namespaced,
                ["kind"] = resource.Kind,
                ["verbs"] = new JsonArray("create", "delete", "get", "list", "patch", "update", "watch"),
            });
        }

        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = group.Length == 0 ? version : group + "/" + version, ["resources"] = resources };
    }

    private Reply List(ServedResource type, string? ns, string? labelSelector)
    {
        Func<JsonObject, bool> selects;
        try
        {
            selects = LabelSelector.Parse(labelSelector);
        }
        catch (FormatException exception)
        {
            return Reply.Status(400, "BadRequest", $"unable to parse requirement: {exception.Message}");
        }

        var items = new JsonArray();
        foreach (var entry in objects.Where(o => o.Value.Type == type).OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            JsonObject item = Present(entry.Value);
            if ((ns is null || (string?)item["metadata"]?["namespace"] == ns) && selects(item))
            {
                var copy = (JsonObject)item.DeepClone();
                if (type.Group.Length == 0)
                {
                    // Items of a built-in list carry no apiVersion or kind; custom resources keep theirs.
                    copy.Remove("apiVersion");
                    copy.Remove("kind");
                }

                items.Add(copy);
            }
        }

        return Reply.Ok(new JsonObject
        {
            ["apiVersion"] = type.ApiVersion,
            ["kind"] = type.Kind + "List",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString() },
            ["items"] = items,
        });
    }

    private Reply Get(ServedResource type, string ns, string name) =>
        objects.TryGetValue(Key(type, ns, name), out StoredObject? stored)
            ? Reply.Ok((JsonObject)Present(stored).DeepClone())
            : NotFound(type, name);

    private Reply Apply(HttpRequest request, ServedResource type, string ns, string name, string body)
    {
        string contentType = (request.ContentType ?? string.Empty).Split(';')[0].Trim();
        if (contentType != ApplyContentType)
        {
            return Reply.Status(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got '{contentType}')");
        }

        string? manager = request.Query["fieldManager"].FirstOrDefault();
        if (string.IsNullOrEmpty(manager))
        {
            return Reply.Status(400, "BadRequest", "PATCH requests with apply must set fieldManager");
        }

        string? dryRun = request.Query["dryRun"].FirstOrDefault();
        if (dryRun is not null && dryRun != "All")
        {
            return Reply.Status(400, "BadRequest", $"Invalid dryRun value: '{dryRun}' (only All is supported)");
        }

        bool force = request.Query["force"].FirstOrDefault() == "true";
        JsonObject applied;
        try
        {
            applied = ApplyBody.Parse(body);
        }
        catch (Exception exception) when (exception is JsonException or YamlDotNet.Core.YamlException or InvalidOperationException)
        {
            return Reply.Status(400, "BadRequest", $"error decoding YAML: {exception.Message}");
        }

        if ((string?)applied["apiVersion"] != type.ApiVersion || (string?)applied["kind"] != type.Kind)
        {
            return Reply.Status(400, "BadRequest", $"the apiVersion and kind of the object ({applied["apiVersion"]} {applied["kind"]}) do not match the URL ({type.ApiVersion} {type.Kind})");
        }

        if ((string?)applied["metadata"]?["name"] != name)
        {
            return Reply.Status(400, "BadRequest", $"the name of the object ({applied["metadata"]?["name"]}) does not match the name on the URL ({name})");
        }

        string? bodyNamespace = (string?)applied["metadata"]?["namespace"];
        if (bodyNamespace is not null && bodyNamespace != ns)
        {
            return Reply.Status(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
        }

        if (!objects.ContainsKey(Key(served.First(r => r.Kind == "Namespace"), string.Empty, ns)))
        {
            return Reply.Status(404, "NotFound", $"namespaces \"{ns}\" not found", new JsonObject { ["name"] = ns, ["kind"] = "namespaces" });
        }

        if (request.Query["fieldValidation"].FirstOrDefault() == "Strict")
        {
            List<string> unknown = Engine.Tests.KindSchemas.Check((Engine.Yaml.YMap)ApplyBody.ToTree(applied)).Where(p => p.StartsWith("unknown field", StringComparison.Ordinal)).ToList();
            if (unknown.Count > 0)
            {
                return Reply.Status(400, "BadRequest", $"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {string.Join(", ", unknown)}");
            }
        }

        List<(string Field, string Message)> invalid = ObjectRules.Check(type, applied);
        if (invalid.Count > 0)
        {
            return Reply.Invalid(type, name, invalid);
        }

        string key = Key(type, ns, name);
        objects.TryGetValue(key, out StoredObject? existing);
        // A resourceVersion in the body makes the apply conditional, as on a real server.
        string? expectedVersion = (string?)applied["metadata"]?["resourceVersion"];
        if (existing is not null && expectedVersion is not null && expectedVersion != (string?)existing.Object["metadata"]?["resourceVersion"])
        {
            return Reply.Status(409, "Conflict", $"Operation cannot be fulfilled on {type.Qualified} \"{name}\": the object has been modified; please apply your changes to the latest version and try again");
        }

        var ownedNow = Leaves(applied).ToDictionary(l => l.Path, l => l.Value);
        var conflicts = new JsonArray();
        if (existing is not null)
        {
            foreach (var (other, fields) in existing.Owners.Where(o => o.Key != manager))
            {
                foreach (var (field, value) in ownedNow)
                {
                    if (fields.TryGetValue(field, out JsonNode? theirs) && !JsonNode.DeepEquals(theirs, value))
                    {
                        conflicts.Add(new JsonObject { ["reason"] = "FieldManagerConflict", ["message"] = $"conflict with \"{other}\"", ["field"] = "." + Display(field) });
                    }
                }
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            return Reply.Status(409, "Conflict", $"Apply failed with {conflicts.Count} conflict(s): {string.Join(", ", conflicts.Select(c => $"{c!["message"]}: {c["field"]}"))}",
                new JsonObject { ["name"] = name, ["group"] = type.Group, ["kind"] = type.Plural, ["causes"] = conflicts });
        }

        StoredObject next = existing?.Clone() ?? new StoredObject(type, new JsonObject
        {
            ["apiVersion"] = type.ApiVersion,
            ["kind"] = type.Kind,
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        });
        if (force)
        {
            foreach (var fields in next.Owners.Where(o => o.Key != manager).Select(o => o.Value))
            {
                foreach (string field in ownedNow.Keys)
                {
                    fields.Remove(field);
                }
            }
        }

        // Fields this manager applied before and no longer applies are removed, unless someone else owns them.
        if (next.Owners.TryGetValue(manager, out var before))
        {
            foreach (string dropped in before.Keys.Except(ownedNow.Keys))
            {
                if (!next.Owners.Any(o => o.Key != manager && o.Value.ContainsKey(dropped)))
                {
                    RemovePath(next.Object, dropped);
                }
            }
        }

        foreach (var (field, value) in ownedNow)
        {
            SetPath(next.Object, field, value!.DeepClone());
        }

        next.Owners[manager] = ownedNow;
        bool created = existing is null;
        bool changed = created || !JsonNode.DeepEquals(Content(existing!.Object), Content(next.Object));
        if (changed)
        {
            Stamp(next.Object, created);
        }

        if (dryRun is null)
        {
            objects[key] = next;
        }

        return new Reply(created ? 201 : 200, (JsonObject)Present(next).DeepClone());
    }

    private Reply Delete(HttpRequest request, ServedResource type, string ns, string name, string body)
    {
        string key = Key(type, ns, name);
        if (!objects.TryGetValue(key, out StoredObject? stored))
        {
            return NotFound(type, name);
        }

        JsonNode? options = string.IsNullOrWhiteSpace(body) ? null : JsonNode.Parse(body);
        string? uid = (string?)options?["preconditions"]?["uid"];
        string? version = (string?)options?["preconditions"]?["resourceVersion"];
        string actualUid = (string)stored.Object["metadata"]!["uid"]!;
        string actualVersion = (string)stored.Object["metadata"]!["resourceVersion"]!;
        if (uid is not null && uid != actualUid)
        {
            return Reply.Status(409, "Conflict", $"Operation cannot be fulfilled on {type.Qualified} \"{name}\": Precondition failed: UID in precondition: {uid}, UID in object meta: {actualUid}");
        }

        if (version is not null && version != actualVersion)
        {
            return Reply.Status(409, "Conflict", $"Operation cannot be fulfilled on {type.Qualified} \"{name}\": Precondition failed: ResourceVersion in precondition: {version}, ResourceVersion in object meta: {actualVersion}");
        }

        string? dryRun = request.Query["dryRun"].FirstOrDefault() ?? (string?)options?["dryRun"]?[0];
        if (dryRun is not null && dryRun != "All")
        {
            return Reply.Status(400, "BadRequest", $"Invalid dryRun value: '{dryRun}'");
        }

        if (dryRun is null)
        {
            objects.Remove(key);
        }

        return Reply.Ok((JsonObject)Present(stored).DeepClone());
    }

    private static Reply NotFound(ServedResource type, string name) =>
        Reply.Status(404, "NotFound", $"{type.Qualified} \"{name}\" not found", new JsonObject { ["name"] = name, ["group"] = type.Group, ["kind"] = type.Plural });

    private void Stamp(JsonObject obj, bool created)
    {
        var metadata = (JsonObject)obj["metadata"]!;
        resourceVersion++;
        metadata["resourceVersion"] = resourceVersion.ToString();
        if (created)
        {
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] = "2026-11-26T00:00:00Z";
        }
    }

    /// <summary>The object as served: with managedFields naming who owns what.</summary>
    private static JsonObject Present(StoredObject stored)
    {
        var copy = (JsonObject)stored.Object.DeepClone();
        var managed = new JsonArray();
        foreach (var (manager, fields) in stored.Owners.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            managed.Add(new JsonObject
            {
                ["manager"] = manager,
                ["operation"] = manager == "clusterexpose" ? "Apply" : "Update",
                ["apiVersion"] = stored.Type.ApiVersion,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = new JsonObject(fields.Keys.OrderBy(k => k, StringComparer.Ordinal).Select(k => KeyValuePair.Create("f:" + Display(k), (JsonNode?)new JsonObject()))),
            });
        }

        if (managed.Count > 0)
        {
            copy["metadata"]!["managedFields"] = managed;
        }

        return copy;
    }

    private static JsonObject Content(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        ((JsonObject)copy["metadata"]!).Remove("resourceVersion");
        return copy;
    }

    /// <summary>Leaf fields of an applied object: maps are walked, lists and scalars are owned whole (atomic).</summary>
    private static IEnumerable<(string Path, JsonNode? Value)> Leaves(JsonObject obj, string prefix = "")
    {
        foreach (var (key, value) in obj)
        {
            string path = prefix.Length == 0 ? key : prefix + Separator + key;
            if (prefix.Length == 0 && key is "apiVersion" or "kind")
            {
                continue;
            }

            if (Display(path) is "metadata.name" or "metadata.namespace" or "metadata.uid" or "metadata.resourceVersion" or "metadata.managedFields" or "metadata.creationTimestamp" or "status")
            {
                continue;
            }

            if (value is JsonObject child && child.Count > 0)
            {
                foreach (var leaf in Leaves(child, path))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return (path, value);
            }
        }
    }

    private static void SetPath(JsonObject root, string path, JsonNode value)
    {
        string[] parts = path.Split(Separator);
        JsonObject current = root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (current[parts[i]] is not JsonObject next)
            {
                next = new JsonObject();
                current[parts[i]] = next;
            }

            current = next;
        }

        current[parts[^1]] = value;
    }

    private static void RemovePath(JsonObject root, string path)
    {
        string[] parts = path.Split(Separator);
        JsonObject? current = root;
        for (int i = 0; i < parts.Length - 1 && current is not null; i++)
        {
            current = current[parts[i]] as JsonObject;
        }

        current?.Remove(parts[^1]);
    }

    /// <summary>Joins field paths internally: keys such as app.kubernetes.io/managed-by contain dots.</summary>
    private const char Separator = '\u0001';

    private static string Display(string path) => path.Replace(Separator, '.');

    private static string Key(ServedResource type, string ns, string name) => $"{type.Group}/{type.Plural}/{(type.Namespaced ? ns : string.Empty)}/{name}";

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fake-kube-apiserver", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    private sealed class StoredObject
    {
        public StoredObject(ServedResource type, JsonObject obj)
        {
            Type = type;
            Object = obj;
        }

        public ServedResource Type { get; }

        public JsonObject Object { get; }

        public Dictionary<string, Dictionary<string, JsonNode?>> Owners { get; } = new(StringComparer.Ordinal);

        public StoredObject Clone()
        {
            var copy = new StoredObject(Type, (JsonObject)Object.DeepClone());
            foreach (var (manager, fields) in Owners)
            {
                copy.Owners[manager] = fields.ToDictionary(f => f.Key, f => f.Value?.DeepClone());
            }

            return copy;
        }
    }
}

/// <summary>An answer: status code, JSON body, and maybe a warning header.</summary>
internal sealed record Reply(int Code, JsonObject Body, string? Warning = null)
{
    public static Reply Ok(JsonObject body) => new(200, body);

    public static Reply Status(int code, string reason, string message, JsonObject? details = null) => new(code, new JsonObject
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["details"] = details,
        ["code"] = code,
    });

    public static Reply Invalid(ServedResource type, string name, IReadOnlyList<(string Field, string Message)> causes) =>
        Status(422, "Invalid", $"{type.Kind} \"{name}\" is invalid: {string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"))}", new JsonObject
        {
            ["name"] = name,
            ["group"] = type.Group,
            ["kind"] = type.Kind,
            ["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = c.Message, ["field"] = c.Field }).ToArray()),
        });
}

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
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace ClusterExpose.FakeKubeApi;

/// <summary>
/// A request as the fake received it, for tests to assert what was (and was not) sent. <see cref="DryRun"/>
/// is the dry run the server took from it: from the DeleteOptions body of a DELETE that has one, from
/// the query otherwise.
/// </summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string? ContentType, string? FieldManager, string? DryRun, string? FieldValidation, string? Force, string? Body = null);

/// <summary>
/// A FAKE Kubernetes API server, for tests only: no cluster can run where the tests run. It serves
/// HTTPS on 127.0.0.1 with a certificate made at start, and answers the calls ClusterExpose makes as
/// kube-apiserver 1.36 answered them in the recorded transcripts (tests/Engine.Tests/Cluster/Transcripts,
/// replayed against this fake by TranscriptReplayTests): bearer tokens (401), RBAC from rendered Roles
/// and denials set by a test, checked before routing (403), a kind or group it does not serve
/// (a plain-text 404), discovery documents, server-side apply (content type, field manager, dryRun,
/// unknown fields as a 500, names, namespaces, endpoint addresses, field ownership per manager with
/// 409 on a conflict unless forced, a resourceVersion in the body checked, server defaults), merge
/// patch, create, label selectors, DELETE with DeleteOptions from the body when there is one (dry run,
/// preconditions on uid and resourceVersion, propagation), and every failure as a Status body shaped as
/// the real server shapes it. Every request to v1 Endpoints carries the deprecation warning header.
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    public const string ApplyContentType = "application/apply-patch+yaml";
    public const string MergePatchContentType = "application/merge-patch+json";
    public const string EndpointsDeprecation = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice";

    /// <summary>The user the admin token stands for; a denial set with <see cref="Forbid"/> names it.</summary>
    public const string AdminUser = "system:serviceaccount:default:clusterexpose";

    private readonly object gate = new();
    private readonly Dictionary<string, StoredObject> objects = new(StringComparer.Ordinal);
    private readonly List<RecordedRequest> requests = new();
    private readonly HashSet<string> forbidden = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeAccount> accounts = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<ServedResource> served;
    private readonly WebApplication app;
    private long resourceVersion = 1000;
    private long clock;
    private int clusterIp = 10;

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

    /// <summary>The token of an account that may do everything (but what <see cref="Forbid"/> denies).</summary>
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
    /// Denies one verb on one resource (plural, such as "ingressroutes") to the admin token from now on,
    /// as RBAC would; with <paramref name="clusterScopeOnly"/> only across all namespaces, as for an
    /// account that has a Role in each namespace but no ClusterRole.
    /// </summary>
    public void Forbid(string verb, string plural, bool clusterScopeOnly = false)
    {
        lock (gate)
        {
            forbidden.Add(verb + " " + plural + (clusterScopeOnly ? " cluster" : string.Empty));
        }
    }

    /// <summary>
    /// An account bound by these RBAC documents (Roles, ClusterRoles and their bindings, as
    /// New-ExposeRoleManifest renders them); returns its bearer token. <paramref name="user"/> is the
    /// service account as the server names it, <c>system:serviceaccount:ns:name</c>.
    /// </summary>
    public string AddAccount(string user, IEnumerable<JsonObject> rbac)
    {
        lock (gate)
        {
            string token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            accounts[token] = FakeAccount.FromRbac(user, rbac);
            return token;
        }
    }

    /// <summary>The objects of a YAML stream (RBAC documents as New-ExposeRoleManifest renders them), for <see cref="AddAccount"/>.</summary>
    public static IReadOnlyList<JsonObject> ParseDocuments(string yaml) => ApplyBody.ParseAll(yaml);

    public void ClearRequests()
    {
        lock (gate)
        {
            requests.Clear();
        }
    }

    public void AddNamespace(string name)
    {
        lock (gate)
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
    }

    /// <summary>Deletes a namespace and everything in it, as the namespace controller does.</summary>
    public void RemoveNamespace(string name)
    {
        lock (gate)
        {
            foreach (string key in objects.Where(o => o.Value.Type.Namespaced && (string?)o.Value.Object["metadata"]?["namespace"] == name).Select(o => o.Key).ToList())
            {
                objects.Remove(key);
            }

            objects.Remove(Key(served.First(r => r.Kind == "Namespace"), string.Empty, name));
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
            string owner = Manager(manager, "Apply");
            stored.Fields[owner] = Leaves(type, obj).ToDictionary(l => l.Path, l => l.Value);
            stored.Times[owner] = Now();
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

    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string body = await new StreamReader(request.Body, Encoding.UTF8).ReadToEndAsync().ConfigureAwait(false);
        string path = request.Path.Value ?? "/";
        Reply reply;
        lock (gate)
        {
            if (path.StartsWith("/_fake/", StringComparison.Ordinal))
            {
                reply = Reply.Ok(Control(context, path, body));
            }
            else
            {
                requests.Add(new RecordedRequest(request.Method, path, request.QueryString.Value ?? string.Empty, request.ContentType,
                    request.Query["fieldManager"].FirstOrDefault(), EffectiveDryRun(request, body),
                    request.Query["fieldValidation"].FirstOrDefault(), request.Query["force"].FirstOrDefault(), body.Length == 0 ? null : body));
                reply = Serve(request, path, body);
            }
        }

        context.Response.StatusCode = reply.Code;
        context.Response.ContentType = reply.Text is null ? "application/json" : "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache, private";
        if (reply.Warning is not null)
        {
            context.Response.Headers.Append("Warning", $"299 - \"{reply.Warning.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }

        byte[] bytes = Encoding.UTF8.GetBytes(reply.Text ?? reply.Body!.ToJsonString());
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes).ConfigureAwait(false);
    }

    /// <summary>The dry run a request asks for, read as the server reads it (a DELETE's body, when it has one, overrides the query).</summary>
    private static string? EffectiveDryRun(HttpRequest request, string body)
    {
        if (request.Method == "DELETE" && !string.IsNullOrWhiteSpace(body))
        {
            try
            {
                return JsonNode.Parse(body)?["dryRun"] is JsonArray { Count: > 0 } dry ? (string?)dry[0] : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        return request.Query["dryRun"].FirstOrDefault();
    }

    /// <summary>Test-only endpoints for a fake started as its own process (the Pester tests).</summary>
    private JsonNode Control(HttpContext context, string path, string body)
    {
        string? Query(string name) => context.Request.Query[name].FirstOrDefault();
        return path switch
        {
            "/_fake/requests" => JsonSerializer.SerializeToNode(requests)!,
            "/_fake/objects" => new JsonArray(objects.Values.Where(o => o.Type.Kind != "Namespace").Select(o => (JsonNode)Present(o).DeepClone()).ToArray()),
            "/_fake/seed" => Seed((JsonObject)JsonNode.Parse(body)!, Query("manager") ?? "kubectl"),
            "/_fake/forbid" => Do(() => Forbid(Query("verb")!, Query("resource")!, Query("scope") == "cluster")),
            "/_fake/clear" => Do(ClearRequests),
            "/_fake/namespace" => Do(() => AddNamespace(Query("name")!)),
            "/_fake/remove-namespace" => Do(() => RemoveNamespace(Query("name")!)),
            "/_fake/account" => new JsonObject { ["token"] = AddAccount(Query("user")!, ApplyBody.ParseAll(body)) },
            _ => new JsonObject { ["error"] = "unknown control path" },
        };
    }

    private static JsonNode Do(Action action)
    {
        action();
        return new JsonObject { ["ok"] = true };
    }

    private Reply Serve(HttpRequest request, string path, string body)
    {
        string authorization = request.Headers.Authorization.ToString();
        FakeAccount? account = null;
        bool admin = authorization == "Bearer " + Token;
        if (authorization.Length > 0 && !admin && !(authorization.StartsWith("Bearer ", StringComparison.Ordinal) && accounts.TryGetValue(authorization["Bearer ".Length..], out account)))
        {
            return Reply.Status(401, "Unauthorized", "Unauthorized");
        }

        string user = admin ? AdminUser : account?.User ?? "system:anonymous";
        string[] segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        ResourceRequest? resource = ResourceRequest.Parse(segments, request.Method);
        if (resource is null)
        {
            // Discovery: every authenticated account may read it.
            return authorization.Length == 0
                ? Reply.Status(403, "Forbidden", $"forbidden: User \"system:anonymous\" cannot get path \"{path}\"", new JsonObject())
                : Discovery(segments);
        }

        // Authorization runs before the request is routed: a kind that is not installed is a 403 to an account that may not read it.
        RequestAttributes attributes = resource.Attributes;
        bool denied = admin
            ? forbidden.Contains(attributes.Verb + " " + attributes.Resource) || (attributes.Namespace is null && forbidden.Contains(attributes.Verb + " " + attributes.Resource + " cluster"))
            : account is null || !account.Allows(attributes);
        if (denied)
        {
            return Forbidden(user, attributes);
        }

        ServedResource? type = served.FirstOrDefault(r => r.Group == resource.Group && r.Version == resource.Version && r.Plural == resource.Plural);
        if (type is null)
        {
            // The core group answers with a Status; every other path the server's router does not know is its plain 404.
            return resource.Group.Length == 0 && served.Any(r => r.Group.Length == 0 && r.Version == resource.Version)
                ? Reply.Status(404, "NotFound", "the server could not find the requested resource", new JsonObject())
                : Reply.PageNotFound;
        }

        string ns = type.Namespaced ? resource.Namespace ?? string.Empty : string.Empty;
        string? warning = type.Kind == "Endpoints" ? EndpointsDeprecation : null;
        Reply reply = (attributes.Verb, request.Method) switch
        {
            ("list", _) => List(type, resource.Namespace, request.Query["labelSelector"].FirstOrDefault()),
            ("get", _) => Get(type, ns, resource.Name!),
            ("patch", _) => Patch(request, type, ns, resource.Name!, body),
            ("create", _) => Create(request, type, ns, body),
            ("delete", _) => Delete(request, type, ns, resource.Name!, body),
            _ => Reply.Status(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource", new JsonObject()),
        };
        return reply with { Warning = reply.Warning ?? warning };
    }

    private static Reply Forbidden(string user, RequestAttributes a)
    {
        string qualified = a.Group.Length == 0 ? a.Resource : a.Resource + "." + a.Group;
        string scope = a.Namespace is null ? "at the cluster scope" : $"in the namespace \"{a.Namespace}\"";
        var details = new JsonObject();
        if (a.Name is not null)
        {
            details["name"] = a.Name;
        }

        if (a.Group.Length > 0)
        {
            details["group"] = a.Group;
        }

        details["kind"] = a.Resource;
        return Reply.Status(403, "Forbidden",
            $"{qualified} {(a.Name is null ? string.Empty : $"\"{a.Name}\" ")}is forbidden: User \"{user}\" cannot {a.Verb} resource \"{a.Resource}\" in API group \"{a.Group}\" {scope}", details);
    }

    private Reply Discovery(string[] segments)
    {
        switch (segments)
        {
            case ["version"]:
                return Reply.Ok(new JsonObject { ["major"] = "1", ["minor"] = "36", ["gitVersion"] = "v1.36.2" });
            case ["api"]:
                return Reply.Ok(new JsonObject { ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"), ["serverAddressByClientCIDRs"] = new JsonArray() });
            case ["apis"]:
                return Reply.Ok(new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = new JsonArray(ApiCatalog.Groups(served).Select(g => (JsonNode)Group(g.Group, g.Versions)).ToArray()) });
            case ["apis", string group]:
                var found = ApiCatalog.Groups(served).FirstOrDefault(g => g.Group == group);
                return found.Group is null ? Reply.PageNotFound : Reply.Ok(Group(found.Group, found.Versions).Also(g => { g["kind"] = "APIGroup"; g["apiVersion"] = "v1"; }));
            case ["api", string version]:
                return served.Any(r => r.Group.Length == 0 && r.Version == version) ? Reply.Ok(ResourceList(string.Empty, version)) : Reply.PageNotFound;
            case ["apis", string group, string version]:
                return served.Any(r => r.Group == group && r.Version == version) ? Reply.Ok(ResourceList(group, version)) : Reply.PageNotFound;
            default:
                return Reply.PageNotFound;
        }
    }

    private static JsonObject Group(string group, IReadOnlyList<string> versions) => new()
    {
        ["name"] = group,
        ["versions"] = new JsonArray(versions.Select(v => (JsonNode)new JsonObject { ["groupVersion"] = group + "/" + v, ["version"] = v }).ToArray()),
        ["preferredVersion"] = new JsonObject { ["groupVersion"] = group + "/" + versions[0], ["version"] = versions[0] },
    };

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
                ["verbs"] = new JsonArray("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"),
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

        // A namespace that does not exist is simply empty to a list.
        var items = new JsonArray();
        foreach (var entry in objects.Where(o => o.Value.Type == type).OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            JsonObject item = Present(entry.Value);
            if ((ns is null || (string?)item["metadata"]?["namespace"] == ns) && selects(item))
            {
                var copy = (JsonObject)item.DeepClone();
                if (type.Group.Length == 0 || type.Group == "discovery.k8s.io")
                {
                    // Items of a built-in list carry no apiVersion or kind; custom resources keep theirs.
                    copy.Remove("apiVersion");
                    copy.Remove("kind");
                }

                items.Add(copy);
            }
        }

        string version = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Reply.Ok(type.IsCustom
            ? new JsonObject
            {
                ["apiVersion"] = type.ApiVersion,
                ["items"] = items,
                ["kind"] = type.Kind + "List",
                ["metadata"] = new JsonObject { ["continue"] = string.Empty, ["resourceVersion"] = version },
            }
            : new JsonObject
            {
                ["kind"] = type.Kind + "List",
                ["apiVersion"] = type.ApiVersion,
                ["metadata"] = new JsonObject { ["resourceVersion"] = version },
                ["items"] = items,
            });
    }

    private Reply Get(ServedResource type, string ns, string name) =>
        objects.TryGetValue(Key(type, ns, name), out StoredObject? stored)
            ? Reply.Ok((JsonObject)Present(stored).DeepClone())
            : NotFound(type, name);

    private Reply Patch(HttpRequest request, ServedResource type, string ns, string name, string body)
    {
        string contentType = (request.ContentType ?? string.Empty).Split(';')[0].Trim();
        if (contentType is not (ApplyContentType or MergePatchContentType))
        {
            return Reply.Status(415, "UnsupportedMediaType", "415: Unsupported Media Type", new JsonObject());
        }

        string? manager = request.Query["fieldManager"].FirstOrDefault();
        bool apply = contentType == ApplyContentType;
        if (apply && string.IsNullOrEmpty(manager))
        {
            return OptionsInvalid("PatchOptions", "fieldManager", "FieldValueRequired", "Required value: is required for apply patch");
        }

        string[] dryRun = request.Query["dryRun"].Where(v => v is not null).Select(v => v!).ToArray();
        if (dryRun.Any(v => v != "All"))
        {
            return OptionsInvalid("PatchOptions", "dryRun", "FieldValueNotSupported", $"Unsupported value: [{string.Join(", ", dryRun.Select(v => $"\"{v}\""))}]: supported values: \"All\"");
        }

        JsonObject applied;
        try
        {
            applied = ApplyBody.Parse(body);
        }
        catch (Exception exception) when (exception is JsonException or YamlDotNet.Core.YamlException or InvalidOperationException)
        {
            return Reply.Status(400, "BadRequest", $"error decoding YAML: {exception.Message}");
        }

        return apply
            ? Apply(type, ns, name, applied, manager!, dryRun.Length > 0, request.Query["force"].FirstOrDefault() == "true")
            : MergePatch(type, ns, name, applied, manager ?? DefaultManager(request), dryRun.Length > 0);
    }

    /// <summary>The field manager of a write that names none: its User-Agent up to the first slash, as the server takes it.</summary>
    private static string DefaultManager(HttpRequest request)
    {
        string agent = request.Headers.UserAgent.ToString();
        int slash = agent.IndexOf('/');
        return slash >= 0 ? agent[..slash] : agent.Length > 0 ? agent : "unknown";
    }

    private Reply Apply(ServedResource type, string ns, string name, JsonObject applied, string manager, bool dryRun, bool force)
    {
        if ((string?)applied["kind"] is not { Length: > 0 } kind)
        {
            return Reply.Status(400, "BadRequest", $"invalid object type: {GroupVersionText((string?)applied["apiVersion"])}, Kind=");
        }

        if ((string?)applied["apiVersion"] != type.ApiVersion || kind != type.Kind)
        {
            return Reply.Status(400, "BadRequest", $"the API version in the data ({applied["apiVersion"]}) does not match the expected API version ({type.ApiVersion})");
        }

        if ((string?)applied["metadata"]?["name"] != name)
        {
            return Reply.Status(400, "BadRequest", $"the name of the object ({applied["metadata"]?["name"]}) does not match the name on the URL ({name})");
        }

        string? bodyNamespace = (string?)applied["metadata"]?["namespace"];
        if (type.Namespaced && bodyNamespace is not null && bodyNamespace != ns)
        {
            return Reply.Status(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
        }

        if (type.Namespaced && !NamespaceExists(ns))
        {
            return NamespaceNotFound(ns);
        }

        // Whatever fieldValidation says, server-side apply cannot build its typed patch from a field the schema lacks.
        if (UnknownFields(applied).FirstOrDefault() is { } unknown)
        {
            return Reply.Status(500, null, $"failed to create typed patch object ({ns}/{name}; {GroupVersionText(type.ApiVersion)}, Kind={type.Kind}): .{unknown}: field not declared in schema");
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
            return Reply.Status(409, "Conflict", $"Operation cannot be fulfilled on {type.Qualified} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                Details(name, type.Group, type.Plural));
        }

        string owner = Manager(manager, "Apply");
        var ownedNow = Leaves(type, applied).ToDictionary(l => l.Path, l => l.Value);
        var conflicts = new List<(string Manager, string Field)>();
        if (existing is not null)
        {
            foreach (var (other, fields) in existing.Fields.Where(o => o.Key != owner))
            {
                foreach (var (field, value) in ownedNow)
                {
                    if (fields.ContainsKey(field) && !JsonNode.DeepEquals(ValueAt(existing.Object, field), value))
                    {
                        conflicts.Add((ManagerName(other), "." + Display(field)));
                    }
                }
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            string message = conflicts.Count == 1
                ? $"Apply failed with 1 conflict: conflict with \"{conflicts[0].Manager}\": {conflicts[0].Field}"
                : $"Apply failed with {conflicts.Count} conflicts: " + string.Join("\n", conflicts.GroupBy(c => c.Manager).Select(g => $"conflicts with \"{g.Key}\":\n" + string.Join("\n", g.Select(c => "- " + c.Field))));
            return Reply.Status(409, "Conflict", message, new JsonObject
            {
                ["causes"] = new JsonArray(conflicts.Select(c => (JsonNode)new JsonObject { ["reason"] = "FieldManagerConflict", ["message"] = $"conflict with \"{c.Manager}\"", ["field"] = c.Field }).ToArray()),
            });
        }

        bool created = existing is null;
        StoredObject next = existing?.Clone() ?? new StoredObject(type, new JsonObject
        {
            ["apiVersion"] = type.ApiVersion,
            ["kind"] = type.Kind,
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = type.Namespaced ? ns : null },
        });
        if (force)
        {
            // Forcing takes only the fields in conflict; fields applied with equal values stay shared.
            foreach (var fields in next.Fields.Where(o => o.Key != owner).Select(o => o.Value))
            {
                foreach (string field in ownedNow.Where(f => !JsonNode.DeepEquals(ValueAt(next.Object, f.Key), f.Value)).Select(f => f.Key))
                {
                    fields.Remove(field);
                }
            }
        }

        // Fields this manager applied before and no longer applies are removed, unless someone else owns them.
        if (next.Fields.TryGetValue(owner, out var before))
        {
            foreach (string dropped in before.Keys.Except(ownedNow.Keys))
            {
                if (!next.Fields.Any(o => o.Key != owner && o.Value.ContainsKey(dropped)))
                {
                    RemovePath(next.Object, dropped);
                }
            }
        }

        foreach (var (field, value) in ownedNow)
        {
            SetPath(next.Object, field, value!.DeepClone());
        }

        next.Fields[owner] = ownedNow;
        next.Fields.Where(f => f.Value.Count == 0).Select(f => f.Key).ToList().ForEach(empty => { next.Fields.Remove(empty); next.Times.Remove(empty); });
        return Store(key, existing, next, owner, created, dryRun);
    }

    /// <summary>
    /// Keeps (unless a dry run) and answers the outcome of a write: 201 for a create, 200 otherwise; a
    /// new resourceVersion only when content or ownership changed; the writer's managedFields time only
    /// when content changed (a co-owner of equal values gets an entry without one).
    /// </summary>
    private Reply Store(string key, StoredObject? existing, StoredObject next, string owner, bool created, bool dryRun)
    {
        Defaults(next, created);

        bool contentChanged = created || !JsonNode.DeepEquals(Content(existing!.Object), Content(next.Object));
        bool ownershipChanged = existing is not null && !SameOwnership(existing, next);
        if (contentChanged)
        {
            next.Times[owner] = Now();
            if (!created && next.Type.IsCustomOrSlice && !JsonNode.DeepEquals(WithoutMetadata(existing!.Object), WithoutMetadata(next.Object)))
            {
                next.Object["metadata"]!["generation"] = long.Parse(next.Object["metadata"]?["generation"]?.ToJsonString() ?? "1", System.Globalization.CultureInfo.InvariantCulture) + 1;
            }
        }
        else if (!next.Times.ContainsKey(owner) && ownershipChanged)
        {
            next.Times[owner] = null;
        }

        if (dryRun)
        {
            // A dry run answers with what would be kept, and the resourceVersion it has now (none for a create).
            JsonObject answer = Present(next, created ? null : existing);
            if (created)
            {
                ((JsonObject)answer["metadata"]!).Remove("resourceVersion");
            }

            return new Reply(created ? 201 : 200, answer);
        }

        if (contentChanged || ownershipChanged)
        {
            Stamp(next.Object, created);
        }

        objects[key] = next;
        return new Reply(created ? 201 : 200, (JsonObject)Present(next).DeepClone());
    }

    private Reply MergePatch(ServedResource type, string ns, string name, JsonObject patch, string manager, bool dryRun)
    {
        string key = Key(type, ns, name);
        if (!objects.TryGetValue(key, out StoredObject? existing))
        {
            return NotFound(type, name);
        }

        StoredObject next = existing.Clone();
        Merge(next.Object, patch);
        string owner = Manager(manager, "Update");
        var changed = Leaves(type, patch).Select(l => l.Path).ToList();
        foreach (var fields in next.Fields.Where(o => o.Key != owner).Select(o => o.Value))
        {
            // An update takes the fields it sets from whoever held them.
            changed.ForEach(field => fields.Remove(field));
        }

        next.Fields[owner] = next.Fields.TryGetValue(owner, out var held) ? held : new Dictionary<string, JsonNode?>();
        changed.ForEach(field => next.Fields[owner][field] = ValueAt(next.Object, field)?.DeepClone());
        return Store(key, existing, next, owner, created: false, dryRun);
    }

    private Reply Create(HttpRequest request, ServedResource type, string ns, string body)
    {
        JsonObject created;
        try
        {
            created = ApplyBody.Parse(body);
        }
        catch (Exception exception) when (exception is JsonException or YamlDotNet.Core.YamlException or InvalidOperationException)
        {
            return Reply.Status(400, "BadRequest", $"error decoding: {exception.Message}");
        }

        string? name = (string?)created["metadata"]?["name"];
        List<string> unknown = UnknownFields(created).ToList();
        string? warning = null;
        if (unknown.Count > 0)
        {
            if (request.Query["fieldValidation"].FirstOrDefault() == "Strict")
            {
                return Reply.Status(400, "BadRequest", $"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: strict decoding error: {string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""))}");
            }

            // Warn (the default for a create) drops the field and says so.
            unknown.ForEach(field => RemovePath(created, field.Replace('.', Separator)));
            warning = string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""));
        }

        if (type.Namespaced && !NamespaceExists(ns))
        {
            return NamespaceNotFound(ns);
        }

        List<(string Field, string Message)> invalid = ObjectRules.Check(type, created);
        if (invalid.Count > 0)
        {
            return Reply.Invalid(type, name ?? string.Empty, invalid);
        }

        string key = Key(type, ns, name!);
        if (objects.ContainsKey(key))
        {
            return Reply.Status(409, "AlreadyExists", $"{type.Qualified} \"{name}\" already exists", Details(name!, type.Group, type.Plural));
        }

        created["metadata"]!["namespace"] = type.Namespaced ? ns : null;
        var next = new StoredObject(type, created);
        string owner = Manager(request.Query["fieldManager"].FirstOrDefault() ?? DefaultManager(request), "Update");
        next.Fields[owner] = Leaves(type, created).ToDictionary(l => l.Path, l => l.Value?.DeepClone());
        Reply reply = Store(key, null, next, owner, created: true, dryRun: request.Query["dryRun"].Count > 0);
        return reply with { Warning = warning };
    }

    private Reply Delete(HttpRequest request, ServedResource type, string ns, string name, string body)
    {
        // With a body, DeleteOptions come from the body alone: a query string beside it is ignored.
        JsonNode? options;
        try
        {
            options = string.IsNullOrWhiteSpace(body) ? null : JsonNode.Parse(body);
        }
        catch (JsonException exception)
        {
            return Reply.Status(400, "BadRequest", $"error decoding DeleteOptions: {exception.Message}");
        }

        string[] dryRun = options is not null
            ? (options["dryRun"] as JsonArray ?? new JsonArray()).Select(v => (string?)v ?? string.Empty).ToArray()
            : request.Query["dryRun"].Where(v => v is not null).Select(v => v!).ToArray();
        string? propagation = options is not null ? (string?)options["propagationPolicy"] : request.Query["propagationPolicy"].FirstOrDefault();
        if (propagation is not null and not ("Foreground" or "Background" or "Orphan"))
        {
            return OptionsInvalid("DeleteOptions", "propagationPolicy", "FieldValueNotSupported", $"Unsupported value: \"{propagation}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
        }

        if (dryRun.Any(v => v != "All"))
        {
            return OptionsInvalid("DeleteOptions", "dryRun", "FieldValueNotSupported", $"Unsupported value: [{string.Join(", ", dryRun.Select(v => $"\"{v}\""))}]: supported values: \"All\"");
        }

        string key = Key(type, ns, name);
        if (!objects.TryGetValue(key, out StoredObject? stored))
        {
            return NotFound(type, name);
        }

        string? uid = (string?)options?["preconditions"]?["uid"];
        string? version = (string?)options?["preconditions"]?["resourceVersion"];
        string actualUid = (string)stored.Object["metadata"]!["uid"]!;
        string actualVersion = (string)stored.Object["metadata"]!["resourceVersion"]!;
        string kindQualified = type.Group.Length == 0 ? type.Kind : type.Kind + "." + type.Group;
        if (uid is not null && uid != actualUid)
        {
            return Reply.Status(409, "Conflict", $"Operation cannot be fulfilled on {kindQualified} \"{name}\": the UID in the precondition ({uid}) does not match the UID in record ({actualUid}). The object might have been deleted and then recreated",
                Details(name, type.Group, type.Kind));
        }

        if (version is not null && version != actualVersion)
        {
            return Reply.Status(409, "Conflict", $"Operation cannot be fulfilled on {kindQualified} \"{name}\": the ResourceVersion in the precondition ({version}) does not match the ResourceVersion in record ({actualVersion}). The object might have been modified",
                Details(name, type.Group, type.Kind));
        }

        bool foreground = propagation == "Foreground";
        if (dryRun.Length == 0)
        {
            objects.Remove(key);
            Stamp(stored.Object, created: false);
            if (foreground)
            {
                // The object answers with its deletion under way; with nothing depending on it, it is gone at once.
                stored.Object["metadata"]!["deletionTimestamp"] = Now();
                if (stored.Object["metadata"]?["generation"] is JsonNode generation)
                {
                    stored.Object["metadata"]!["generation"] = long.Parse(generation.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) + 1;
                }

                stored.Object["metadata"]!["finalizers"] = new JsonArray("foregroundDeletion");
            }
        }

        // Services answer with the object (a real delete with its new resourceVersion); most other kinds with a Status.
        if (type.Kind == "Service" || (foreground && dryRun.Length == 0))
        {
            return Reply.Ok((JsonObject)Present(stored).DeepClone());
        }

        JsonObject details = Details(name, type.Group, type.Plural);
        details["uid"] = actualUid;
        return Reply.Ok(new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        });
    }

    private static Reply OptionsInvalid(string kind, string field, string reason, string message) =>
        Reply.Status(422, "Invalid", $"{kind}.meta.k8s.io \"\" is invalid: {field}: {message}", new JsonObject
        {
            ["group"] = "meta.k8s.io",
            ["kind"] = kind,
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = reason, ["message"] = message, ["field"] = field }),
        });

    private static JsonObject Details(string name, string group, string kind)
    {
        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0)
        {
            details["group"] = group;
        }

        details["kind"] = kind;
        return details;
    }

    private bool NamespaceExists(string ns) => objects.ContainsKey(Key(served.First(r => r.Kind == "Namespace"), string.Empty, ns));

    private static Reply NamespaceNotFound(string ns) =>
        Reply.Status(404, "NotFound", $"namespaces \"{ns}\" not found", new JsonObject { ["name"] = ns, ["kind"] = "namespaces" });

    private static Reply NotFound(ServedResource type, string name) =>
        Reply.Status(404, "NotFound", $"{type.Qualified} \"{name}\" not found", Details(name, type.Group, type.Plural));

    /// <summary>Fields the kind's schema does not declare, as dotted paths (<c>spec.bogusField</c>).</summary>
    private static IEnumerable<string> UnknownFields(JsonObject obj) =>
        Engine.Tests.KindSchemas.Check((Engine.Yaml.YMap)ApplyBody.ToTree(obj))
            .Where(p => p.StartsWith("unknown field ", StringComparison.Ordinal))
            .Select(p => p["unknown field ".Length..]);

    /// <summary>How the server writes a group version in its messages: <c>/v1</c> for the core group.</summary>
    private static string GroupVersionText(string? apiVersion) =>
        apiVersion is null ? "/" : apiVersion.Contains('/') ? apiVersion : "/" + apiVersion;

    /// <summary>What the server fills in that an applied or created body did not say.</summary>
    private void Defaults(StoredObject stored, bool created)
    {
        JsonObject obj = stored.Object;
        if (created && stored.Type.IsCustomOrSlice)
        {
            obj["metadata"]!["generation"] = 1;
        }

        if (stored.Type.Kind == "Service" && obj["spec"] is JsonObject spec)
        {
            foreach (JsonObject port in (spec["ports"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
            {
                port["protocol"] ??= "TCP";
                port["targetPort"] ??= port["port"]?.DeepClone();
            }

            string type = (string?)spec["type"] ?? "ClusterIP";
            spec["type"] = type;
            if (created && type != "ExternalName")
            {
                string ip = $"10.96.0.{clusterIp++ % 250}";
                spec["clusterIP"] ??= ip;
                spec["clusterIPs"] ??= new JsonArray(ip);
                spec["ipFamilies"] ??= new JsonArray("IPv4");
                spec["ipFamilyPolicy"] ??= "SingleStack";
                spec["internalTrafficPolicy"] ??= "Cluster";
            }

            spec["sessionAffinity"] ??= "None";
            if ((string?)spec["sessionAffinity"] == "ClientIP")
            {
                spec["sessionAffinityConfig"] ??= new JsonObject { ["clientIP"] = new JsonObject { ["timeoutSeconds"] = 10800 } };
            }
            else
            {
                spec.Remove("sessionAffinityConfig");
            }

            obj["status"] ??= new JsonObject { ["loadBalancer"] = new JsonObject() };
        }

        if (stored.Type.Kind == "HelmChartConfig")
        {
            ((JsonObject)(obj["spec"] ??= new JsonObject()))["failurePolicy"] ??= "reinstall";
        }
    }

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject child && target[key] is JsonObject existing)
            {
                Merge(existing, child);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }

    private void Stamp(JsonObject obj, bool created)
    {
        var metadata = (JsonObject)obj["metadata"]!;
        resourceVersion++;
        metadata["resourceVersion"] = resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (created)
        {
            metadata["uid"] ??= Guid.NewGuid().ToString();
            metadata["creationTimestamp"] ??= Now();
        }
    }

    /// <summary>A timestamp a second later than the last one, so a test can tell a rewritten time from a kept one.</summary>
    private string Now() => new DateTime(2026, 11, 26, 0, 0, 0, DateTimeKind.Utc).AddSeconds(++clock).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The object as served: with managedFields naming who owns what. A dry run's answer is built before
    /// anything is stored, so the uid and creation time of a create come from here.
    /// </summary>
    private JsonObject Present(StoredObject stored, StoredObject? previous = null)
    {
        var copy = (JsonObject)stored.Object.DeepClone();
        var metadata = (JsonObject)copy["metadata"]!;
        if (metadata["uid"] is null)
        {
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] = Now();
        }

        if (previous is not null)
        {
            metadata["resourceVersion"] = previous.Object["metadata"]?["resourceVersion"]?.DeepClone();
        }

        var managed = new JsonArray();
        foreach (var (owner, fields) in stored.Fields)
        {
            var entry = new JsonObject
            {
                ["manager"] = ManagerName(owner),
                ["operation"] = owner[(owner.IndexOf(ManagerSeparator) + 1)..],
                ["apiVersion"] = stored.Type.ApiVersion,
            };
            if (stored.Times.TryGetValue(owner, out string? time) && time is not null)
            {
                entry["time"] = time;
            }

            entry["fieldsType"] = "FieldsV1";
            entry["fieldsV1"] = new JsonObject(fields.Keys.OrderBy(k => k, StringComparer.Ordinal).Select(k => KeyValuePair.Create("f:" + Display(k), (JsonNode?)new JsonObject())));
            managed.Add(entry);
        }

        if (managed.Count > 0)
        {
            metadata["managedFields"] = managed;
        }

        // Key order as the server writes it: the managed fields after the rest of the metadata.
        return copy;
    }

    private static bool SameOwnership(StoredObject a, StoredObject b) =>
        a.Fields.Count == b.Fields.Count && a.Fields.All(f => b.Fields.TryGetValue(f.Key, out var other) && other.Count == f.Value.Count && f.Value.Keys.All(other.ContainsKey));

    private static JsonObject Content(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        ((JsonObject)copy["metadata"]!).Remove("resourceVersion");
        return copy;
    }

    private static JsonObject WithoutMetadata(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        copy.Remove("metadata");
        copy.Remove("status");
        return copy;
    }

    /// <summary>
    /// Leaf fields of an applied object: maps are walked; Service ports are a list keyed by port and
    /// protocol, as in the API's schema, so each port's fields are owned one by one; other lists and
    /// scalars are owned whole (atomic).
    /// </summary>
    private static IEnumerable<(string Path, JsonNode? Value)> Leaves(ServedResource type, JsonObject obj, string prefix = "")
    {
        foreach (var (key, value) in obj)
        {
            string path = prefix.Length == 0 ? key : prefix + Separator + key;
            if (prefix.Length == 0 && key is "apiVersion" or "kind" or "status")
            {
                continue;
            }

            if (Display(path) is "metadata.name" or "metadata.namespace" or "metadata.uid" or "metadata.resourceVersion" or "metadata.managedFields" or "metadata.creationTimestamp" or "metadata.generation")
            {
                continue;
            }

            if (type.Kind == "Service" && Display(path) == "spec.ports" && value is JsonArray ports)
            {
                foreach (JsonObject port in ports.OfType<JsonObject>())
                {
                    string element = path + Separator + PortKey(port);
                    foreach (var (field, fieldValue) in port)
                    {
                        yield return (element + Separator + field, fieldValue);
                    }
                }
            }
            else if (value is JsonObject child && child.Count > 0)
            {
                foreach (var leaf in Leaves(type, child, path))
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

    private static string PortKey(JsonObject port) => $"[port={port["port"]?.ToJsonString()},protocol=\"{(string?)port["protocol"] ?? "TCP"}\"]";

    private static JsonNode? ValueAt(JsonObject root, string path)
    {
        JsonNode? current = root;
        foreach (string part in path.Split(Separator))
        {
            current = part.StartsWith('[') ? (current as JsonArray)?.OfType<JsonObject>().FirstOrDefault(e => PortKey(e) == part) : (current as JsonObject)?[part];
        }

        return current;
    }

    private static void SetPath(JsonObject root, string path, JsonNode value)
    {
        string[] parts = path.Split(Separator);
        JsonNode current = root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (parts[i + 1].StartsWith('['))
            {
                // A keyed list: find the element with that key, or add it.
                var list = (current as JsonObject)![parts[i]] as JsonArray ?? new JsonArray();
                ((JsonObject)current)[parts[i]] = list;
                JsonObject? element = list.OfType<JsonObject>().FirstOrDefault(e => PortKey(e) == parts[i + 1]);
                if (element is null)
                {
                    // A new element starts with its key fields, so the fields set after them find it again.
                    string[] keys = parts[i + 1].Trim('[', ']').Split(',');
                    element = new JsonObject
                    {
                        ["port"] = JsonNode.Parse(keys[0]["port=".Length..]),
                        ["protocol"] = keys[1]["protocol=".Length..].Trim('"'),
                    };
                    list.Add(element);
                }

                current = element;
                i++;
                continue;
            }

            var map = (JsonObject)current;
            if (map[parts[i]] is not JsonObject next)
            {
                next = new JsonObject();
                map[parts[i]] = next;
            }

            current = next;
        }

        ((JsonObject)current)[parts[^1]] = value;
    }

    private static void RemovePath(JsonObject root, string path)
    {
        string[] parts = path.Split(Separator);
        JsonNode? current = root;
        JsonArray? list = null;
        for (int i = 0; i < parts.Length - 1 && current is not null; i++)
        {
            if (parts[i].StartsWith('['))
            {
                list = current as JsonArray;
                current = list?.OfType<JsonObject>().FirstOrDefault(e => PortKey(e) == parts[i]);
                continue;
            }

            current = (current as JsonObject)?[parts[i]];
        }

        if (current is JsonObject element)
        {
            element.Remove(parts[^1]);
            if (list is not null && !element.Any(e => e.Key is not ("port" or "protocol")))
            {
                list.Remove(element);
            }
        }
    }

    /// <summary>Joins field paths internally: keys such as app.kubernetes.io/managed-by contain dots.</summary>
    private const char Separator = '\u0001';

    private const char ManagerSeparator = '\u0002';

    private static string Manager(string name, string operation) => name + ManagerSeparator + operation;

    private static string ManagerName(string owner) => owner[..owner.IndexOf(ManagerSeparator)];

    private static string Display(string path) => path.Replace(Separator + "[", "[", StringComparison.Ordinal).Replace(Separator, '.');

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

        /// <summary>Per manager and operation (<c>name\u0002Apply</c>), the leaf fields it owns and the values it set.</summary>
        public Dictionary<string, Dictionary<string, JsonNode?>> Fields { get; } = new(StringComparer.Ordinal);

        /// <summary>When each manager last changed the object; null for a co-owner that changed nothing.</summary>
        public Dictionary<string, string?> Times { get; } = new(StringComparer.Ordinal);

        public StoredObject Clone()
        {
            var copy = new StoredObject(Type, (JsonObject)Object.DeepClone());
            foreach (var (manager, fields) in Fields)
            {
                copy.Fields[manager] = fields.ToDictionary(f => f.Key, f => f.Value?.DeepClone());
            }

            foreach (var (manager, time) in Times)
            {
                copy.Times[manager] = time;
            }

            return copy;
        }
    }

    /// <summary>The resource a request names, and what RBAC looks at for it; null for a discovery path.</summary>
    private sealed record ResourceRequest(string Group, string Version, string Plural, string? Namespace, string? Name, RequestAttributes Attributes)
    {
        public static ResourceRequest? Parse(string[] segments, string method)
        {
            string group;
            string version;
            string[] tail;
            switch (segments)
            {
                case ["api", string v, .. var rest] when rest.Length > 0:
                    (group, version, tail) = (string.Empty, v, rest);
                    break;
                case ["apis", string g, string v, .. var rest] when rest.Length > 0:
                    (group, version, tail) = (g, v, rest);
                    break;
                default:
                    return null;
            }

            (string? ns, string plural, string? name) = tail switch
            {
                ["namespaces", string n, string p, .. var more] => (n, p, more.Length > 0 ? more[0] : null),
                ["namespaces", string n] => ((string?)null, "namespaces", n),
                [string p, .. var more] => (null, p, more.Length > 0 ? more[0] : null),
                _ => (null, string.Empty, null),
            };
            string verb = (method, name) switch
            {
                ("GET", null) => "list",
                ("GET", _) => "get",
                ("PATCH", _) => "patch",
                ("PUT", _) => "update",
                ("POST", null) => "create",
                ("DELETE", null) => "deletecollection",
                ("DELETE", _) => "delete",
                _ => method.ToLowerInvariant(),
            };
            return new ResourceRequest(group, version, plural, ns, name, new RequestAttributes(verb, group, plural, ns, name));
        }
    }
}

/// <summary>An answer: status code, a JSON body or a plain-text one, and maybe a warning header.</summary>
internal sealed record Reply(int Code, JsonNode? Body, string? Warning = null, string? Text = null)
{
    /// <summary>What the server's router answers for a path it does not serve: plain text, not a Status.</summary>
    public static readonly Reply PageNotFound = new(404, null, Text: "404 page not found\n");

    public static Reply Ok(JsonNode body) => new(200, body);

    /// <summary>A failure Status, with the fields the real server leaves out when they are empty left out.</summary>
    public static Reply Status(int code, string? reason, string message, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
        };
        if (reason is not null)
        {
            status["reason"] = reason;
        }

        if (details is not null)
        {
            status["details"] = details;
        }

        status["code"] = code;
        return new Reply(code, status);
    }

    public static Reply Invalid(ServedResource type, string name, IReadOnlyList<(string Field, string Message)> causes)
    {
        string qualified = type.Group.Length == 0 ? type.Kind : type.Kind + "." + type.Group;
        string listed = causes.Count == 1 ? $"{causes[0].Field}: {causes[0].Message}" : "[" + string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}")) + "]";
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Kind;
        details["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = c.Message, ["field"] = c.Field }).ToArray());
        return Status(422, "Invalid", $"{qualified} \"{name}\" is invalid: {listed}", details);
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject obj, Action<JsonObject> change)
    {
        change(obj);
        return obj;
    }
}

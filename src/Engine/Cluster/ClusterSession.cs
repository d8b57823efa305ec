using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Validation;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ClusterExpose.Engine.Cluster;

/// <summary>
/// The requests ClusterExpose makes, over KubernetesClient, with every failure turned into a
/// <see cref="ClusterExposeException"/> that names the verb, the resource and the server. Objects
/// come back as JSON trees whatever their kind, so callers handle core kinds and custom resources
/// alike. Server warnings (a deprecated API, say) are collected for the cmdlet to show.
/// </summary>
public sealed class ClusterSession : IDisposable
{
    public const string FieldManager = "clusterexpose";
    private const string DryRunAll = "All";
    private const string StrictFieldValidation = "Strict";

    private readonly Kubernetes client;
    private readonly WarningCapture warnings = new();
    private readonly TimeSpan requestTimeout;
    private readonly CancellationToken cancellation;

    internal ClusterSession(KubernetesClientConfiguration configuration, string contextName, string namespaceName, TimeSpan requestTimeout, CancellationToken cancellation)
    {
        this.cancellation = cancellation;
        client = new Kubernetes(configuration, warnings);
        ContextName = contextName;
        Namespace = namespaceName;
        Server = configuration.Host ?? string.Empty;
        this.requestTimeout = requestTimeout;
    }

    public string ContextName { get; }

    /// <summary>The namespace requests go to unless an object names its own.</summary>
    public string Namespace { get; }

    public string Server { get; }

    /// <summary>Warnings the server sent since the last call, each once.</summary>
    public IReadOnlyList<string> TakeWarnings() => warnings.Take();

    public void Dispose() => client.Dispose();

    /// <summary>The API groups and versions the server serves (<c>GET /apis</c>).</summary>
    public IReadOnlyList<(string Group, IReadOnlyList<string> Versions, string PreferredVersion)> ApiGroups()
    {
        V1APIGroupList list = Call("list", "API groups", null, token => client.Apis.GetAPIVersionsWithHttpMessagesAsync(cancellationToken: token));
        return list.Groups
            .Select(g => (g.Name, (IReadOnlyList<string>)g.Versions.Select(v => v.Version).ToList(), g.PreferredVersion?.Version ?? g.Versions.FirstOrDefault()?.Version ?? string.Empty))
            .ToList();
    }

    /// <summary>
    /// The resource names one group version serves (<c>GET /apis/group/version</c>). KubernetesClient has
    /// no typed call for a custom group, so this one request goes through its HTTP client (its TLS
    /// settings and handlers) with its credentials applied the way its own calls apply them.
    /// </summary>
    public IReadOnlyList<string> ResourcesOf(string group, string version)
    {
        var uri = new Uri(client.BaseUri, $"apis/{group}/{version}");
        JsonNode? document = Call("get", $"API resources of {group}/{version}", null, async token =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (client.Credentials is not null)
            {
                await client.Credentials.ProcessHttpRequestAsync(request, token).ConfigureAwait(false);
            }

            using HttpResponseMessage response = await client.HttpClient.SendAsync(request, token).ConfigureAwait(false);
            string content = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpOperationException($"GET {uri} returned {(int)response.StatusCode}")
                {
                    Response = new HttpResponseMessageWrapper(response, content),
                };
            }

            return JsonNode.Parse(content);
        });
        return (document?["resources"] as JsonArray ?? new JsonArray())
            .Select(r => (string?)r?["name"])
            .Where(name => name is not null && !name.Contains('/'))
            .Select(name => name!)
            .ToList();
    }

    public IReadOnlyList<string> NamespaceNames()
    {
        V1NamespaceList list = Call("list", "namespaces", null, token => client.CoreV1.ListNamespaceWithHttpMessagesAsync(cancellationToken: token));
        return list.Items.Select(n => n.Metadata.Name).ToList();
    }

    /// <summary>Server-side apply of one object; with <paramref name="dryRun"/> the server validates and answers without persisting.</summary>
    public JsonObject Apply(KubeResourceType type, string namespaceName, string name, string body, bool dryRun, bool force)
    {
        var patch = new V1Patch(body, V1Patch.PatchType.ApplyPatch);
        string? dry = dryRun ? DryRunAll : null;
        bool? forced = force ? true : null;
        string target = Describe(type, namespaceName, name);
        return type.Kind.Kind switch
        {
            "Service" => Typed(Call("apply", target, type, t => client.CoreV1.PatchNamespacedServiceWithHttpMessagesAsync(patch, name, namespaceName, dry, FieldManager, StrictFieldValidation, forced, cancellationToken: t))),
            "Endpoints" => Typed(Call("apply", target, type, t => client.CoreV1.PatchNamespacedEndpointsWithHttpMessagesAsync(patch, name, namespaceName, dry, FieldManager, StrictFieldValidation, forced, cancellationToken: t))),
            "ConfigMap" => Typed(Call("apply", target, type, t => client.CoreV1.PatchNamespacedConfigMapWithHttpMessagesAsync(patch, name, namespaceName, dry, FieldManager, StrictFieldValidation, forced, cancellationToken: t))),
            _ when type.Kind.IsCore => throw UnsupportedCore(type),
            _ => Untyped(Call("apply", target, type, t => client.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync(patch, type.Group, type.Version, namespaceName, type.Kind.Plural, name, dry, FieldManager, StrictFieldValidation, forced, cancellationToken: t))),
        };
    }

    /// <summary>One object, or null when there is none of that name.</summary>
    public JsonObject? Get(KubeResourceType type, string namespaceName, string name)
    {
        string target = Describe(type, namespaceName, name);
        try
        {
            return type.Kind.Kind switch
            {
                "Service" => Typed(Call("get", target, type, t => client.CoreV1.ReadNamespacedServiceWithHttpMessagesAsync(name, namespaceName, cancellationToken: t))),
                "Endpoints" => Typed(Call("get", target, type, t => client.CoreV1.ReadNamespacedEndpointsWithHttpMessagesAsync(name, namespaceName, cancellationToken: t))),
                "ConfigMap" => Typed(Call("get", target, type, t => client.CoreV1.ReadNamespacedConfigMapWithHttpMessagesAsync(name, namespaceName, cancellationToken: t))),
                _ when type.Kind.IsCore => throw UnsupportedCore(type),
                _ => Untyped(Call("get", target, type, t => client.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync(type.Group, type.Version, namespaceName, type.Kind.Plural, name, cancellationToken: t))),
            };
        }
        catch (ClusterExposeException exception) when (exception.ErrorId == ErrorIds.ClusterObjectNotFound)
        {
            return null;
        }
    }

    /// <summary>Objects of one kind in one namespace, or in all when <paramref name="namespaceName"/> is null.</summary>
    public IReadOnlyList<JsonObject> List(KubeResourceType type, string? namespaceName, string? labelSelector)
    {
        string target = namespaceName is null ? $"{type} in all namespaces" : $"{type} in namespace {namespaceName}";
        JsonObject list = (type.Kind.Kind, namespaceName) switch
        {
            ("Service", null) => Typed(Call("list", target, type, t => client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(labelSelector: labelSelector, cancellationToken: t))),
            ("Service", _) => Typed(Call("list", target, type, t => client.CoreV1.ListNamespacedServiceWithHttpMessagesAsync(namespaceName, labelSelector: labelSelector, cancellationToken: t))),
            ("Endpoints", null) => Typed(Call("list", target, type, t => client.CoreV1.ListEndpointsForAllNamespacesWithHttpMessagesAsync(labelSelector: labelSelector, cancellationToken: t))),
            ("Endpoints", _) => Typed(Call("list", target, type, t => client.CoreV1.ListNamespacedEndpointsWithHttpMessagesAsync(namespaceName, labelSelector: labelSelector, cancellationToken: t))),
            ("ConfigMap", null) => Typed(Call("list", target, type, t => client.CoreV1.ListConfigMapForAllNamespacesWithHttpMessagesAsync(labelSelector: labelSelector, cancellationToken: t))),
            ("ConfigMap", _) => Typed(Call("list", target, type, t => client.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync(namespaceName, labelSelector: labelSelector, cancellationToken: t))),
            _ when type.Kind.IsCore => throw UnsupportedCore(type),
            (_, null) => Untyped(Call("list", target, type, t => client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(type.Group, type.Version, type.Kind.Plural, labelSelector: labelSelector, cancellationToken: t))),
            _ => Untyped(Call("list", target, type, t => client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(type.Group, type.Version, namespaceName, type.Kind.Plural, labelSelector: labelSelector, cancellationToken: t))),
        };

        // Items of a list carry no apiVersion and kind of their own; give them back for the readers.
        var items = new List<JsonObject>();
        foreach (JsonNode? item in list["items"] as JsonArray ?? new JsonArray())
        {
            if (item is JsonObject obj)
            {
                obj["apiVersion"] = type.ApiVersion;
                obj["kind"] = type.Kind.Kind;
                items.Add(obj);
            }
        }

        return items;
    }

    /// <summary>
    /// Deletes one object, only if its uid and resourceVersion are still the ones given (the server
    /// checks). A DELETE that has a body takes its DeleteOptions from the body alone and ignores the
    /// query string, so a dry run is said in the body (<c>dryRun: [All]</c>) and nothing goes in the
    /// query: a <c>?dryRun=All</c> beside the body would be dropped and the object really deleted.
    /// </summary>
    public void Delete(KubeResourceType type, string namespaceName, string name, string uid, string resourceVersion, bool dryRun)
    {
        V1DeleteOptions options = DeleteOptions(uid, resourceVersion, dryRun);
        string target = Describe(type, namespaceName, name);
        _ = type.Kind.Kind switch
        {
            "Service" => (object)Call("delete", target, type, t => client.CoreV1.DeleteNamespacedServiceWithHttpMessagesAsync(name, namespaceName, options, cancellationToken: t)),
            "Endpoints" => Call("delete", target, type, t => client.CoreV1.DeleteNamespacedEndpointsWithHttpMessagesAsync(name, namespaceName, options, cancellationToken: t)),
            "ConfigMap" => Call("delete", target, type, t => client.CoreV1.DeleteNamespacedConfigMapWithHttpMessagesAsync(name, namespaceName, options, cancellationToken: t)),
            _ when type.Kind.IsCore => throw UnsupportedCore(type),
            _ => Call("delete", target, type, t => client.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync(type.Group, type.Version, namespaceName, type.Kind.Plural, name, options, cancellationToken: t)),
        };
    }

    /// <summary>The body of every DELETE: the preconditions, background propagation and, for a dry run, <c>dryRun: [All]</c>.</summary>
    public static V1DeleteOptions DeleteOptions(string uid, string resourceVersion, bool dryRun) => new()
    {
        Preconditions = new V1Preconditions { Uid = uid, ResourceVersion = resourceVersion },
        PropagationPolicy = "Background",
        DryRun = dryRun ? new List<string> { DryRunAll } : null,
    };

    private static string Describe(KubeResourceType type, string namespaceName, string name) => $"{type} {namespaceName}/{name}";

    private static ClusterExposeException UnsupportedCore(KubeResourceType type) =>
        new(ErrorIds.UnsupportedKind, ExposeErrorKind.InvalidArgument, $"ClusterExpose does not write {type.Kind.Kind} objects.", type.Kind.Kind);

    private static JsonObject Typed(object value) => JsonNode.Parse(KubernetesJson.Serialize(value)) as JsonObject ?? new JsonObject();

    private static JsonObject Untyped(object value) => value switch
    {
        JsonElement element => JsonNode.Parse(element.GetRawText()) as JsonObject ?? new JsonObject(),
        _ => JsonNode.Parse(KubernetesJson.Serialize(value)) as JsonObject ?? new JsonObject(),
    };

    private T Call<T>(string verb, string target, KubeResourceType? type, Func<CancellationToken, Task<HttpOperationResponse<T>>> request) =>
        Call(verb, target, type, async token => (await request(token).ConfigureAwait(false)).Body);

    private T Call<T>(string verb, string target, KubeResourceType? type, Func<CancellationToken, Task<T>> request)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(requestTimeout);
        try
        {
            return request(timeout.Token).GetAwaiter().GetResult();
        }
        catch (HttpOperationException exception)
        {
            throw KubeErrors.FromResponse(exception, verb, target, type, this);
        }
        catch (OperationCanceledException exception) when (!cancellation.IsCancellationRequested)
        {
            throw new ClusterExposeException(ErrorIds.ClusterTimeout, ExposeErrorKind.OperationTimeout,
                $"The cluster at {Server} did not answer within {requestTimeout.TotalSeconds:0.#} s ({verb} {target}).", Server, innerException: exception);
        }
        catch (HttpRequestException exception)
        {
            throw new ClusterExposeException(ErrorIds.ClusterUnreachable, ExposeErrorKind.ConnectionError,
                $"Cannot reach the cluster at {Server} (context '{ContextName}'): {Innermost(exception).Message}", Server,
                "Check that the API server is up and reachable from here, and that -Context names the right cluster.", exception);
        }
    }

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }

    /// <summary>Keeps the <c>Warning</c> headers of every response (RFC 7234 form <c>299 - "text"</c>).</summary>
    private sealed class WarningCapture : DelegatingHandler
    {
        private readonly ConcurrentQueue<string> seen = new();

        public IReadOnlyList<string> Take()
        {
            var taken = new List<string>();
            while (seen.TryDequeue(out string? warning))
            {
                if (!taken.Contains(warning))
                {
                    taken.Add(warning);
                }
            }

            return taken;
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.Headers.TryGetValues("Warning", out IEnumerable<string>? values))
            {
                foreach (string value in values)
                {
                    seen.Enqueue(WarningText(value));
                }
            }

            return response;
        }

        private static string WarningText(string header)
        {
            int open = header.IndexOf('"');
            int close = header.LastIndexOf('"');
            return open >= 0 && close > open ? header[(open + 1)..close].Replace("\\\"", "\"") : header;
        }
    }
}

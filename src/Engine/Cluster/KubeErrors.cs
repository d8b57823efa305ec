using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json.Nodes;
using ClusterExpose.Engine.Validation;
using k8s.Autorest;

namespace ClusterExpose.Engine.Cluster;

/// <summary>
/// Turns the API server's answers into errors a person can act on. The server explains itself in a
/// <c>Status</c> body (reason, message, causes with fields); the message says what was asked, of
/// which resource, and what the server said, and the id tells scripts which case it was.
/// </summary>
public static class KubeErrors
{
    public static ClusterExposeException FromResponse(HttpOperationException exception, string verb, string target, KubeResourceType? type, ClusterSession session)
    {
        HttpStatusCode code = exception.Response?.StatusCode ?? 0;
        JsonObject? status = ParseStatus(exception.Response?.Content);
        string reason = (string?)status?["reason"] ?? string.Empty;
        string serverMessage = (string?)status?["message"] ?? exception.Response?.ReasonPhrase ?? exception.Message;
        IReadOnlyList<(string Type, string Message, string Field)> causes = Causes(status);
        string where = $"{verb} {target}";
        string? detailsKind = (string?)status?["details"]?["kind"];

        switch (code)
        {
            case HttpStatusCode.Unauthorized:
                return new ClusterExposeException(ErrorIds.ClusterUnauthorized, ExposeErrorKind.PermissionDenied,
                    $"The cluster at {session.Server} did not accept the credentials of context '{session.ContextName}' ({where}): {serverMessage}",
                    target, "Renew the token or certificate in the kubeconfig, or pick another -Context.", exception);
            case HttpStatusCode.Forbidden:
                return new ClusterExposeException(ErrorIds.ClusterForbidden, ExposeErrorKind.PermissionDenied,
                    $"Not allowed to {where}: {serverMessage}",
                    target, "Grant the account the rules that New-ExposeRoleManifest renders (with -ReadAllRoutes for Test-SniRoute -Context), or use a context that has them.", exception);
            case HttpStatusCode.NotFound when status is null || (status["details"] is not JsonObject { Count: > 0 } && serverMessage.StartsWith("the server could not find", StringComparison.Ordinal)):
                // The server's router answers a kind or group it does not serve with a plain-text
                // "404 page not found" (or, in the core group, a Status with empty details).
                return new ClusterExposeException(ErrorIds.ClusterKindNotServed, ExposeErrorKind.ObjectNotFound,
                    $"The cluster at {session.Server} does not serve {type?.ToString() ?? target} ({where}).",
                    target, "Install the CRDs of the route API (Traefik or Gateway API), or choose another -Flavor.", exception);
            case HttpStatusCode.NotFound when detailsKind == "namespaces":
            {
                string missing = (string?)status?["details"]?["name"] ?? string.Empty;
                return new ClusterExposeException(ErrorIds.ClusterNamespaceNotFound, ExposeErrorKind.ObjectNotFound,
                    $"Namespace {missing} does not exist in the cluster at {session.Server} ({where}).",
                    missing, $"Create it first (kubectl create namespace {missing}), or pass another -Namespace.", exception);
            }

            case HttpStatusCode.NotFound:
                return new ClusterExposeException(ErrorIds.ClusterObjectNotFound, ExposeErrorKind.ObjectNotFound,
                    $"{target} does not exist ({verb}): {serverMessage}", target, innerException: exception);
            case HttpStatusCode.Conflict when causes.Any(c => c.Type == "FieldManagerConflict"):
                string owners = string.Join("; ", causes.Where(c => c.Type == "FieldManagerConflict").Select(c => $"{c.Field}: {c.Message}"));
                return new ClusterExposeException(ErrorIds.ClusterFieldConflict, ExposeErrorKind.InvalidOperation,
                    $"Fields of {target} are managed by someone else: {owners}.",
                    target, "Leave the object to its other manager, or take the fields over with -Force.", exception);
            case HttpStatusCode.Conflict when reason == "AlreadyExists":
                return new ClusterExposeException(ErrorIds.ClusterAlreadyExists, ExposeErrorKind.ResourceExists,
                    $"{target} already exists ({verb}): {serverMessage}", target, innerException: exception);
            case HttpStatusCode.Conflict:
                return new ClusterExposeException(ErrorIds.ClusterPreconditionFailed, ExposeErrorKind.InvalidOperation,
                    $"{target} changed since it was read, so it was left alone ({verb}): {serverMessage}",
                    target, "Read it again (Get-ExposedHost, Get-TcpForward) and retry.", exception);
            case HttpStatusCode.UnprocessableEntity:
            case HttpStatusCode.BadRequest:
                string detail = causes.Count == 0 ? serverMessage : string.Join("; ", causes.Select(c => c.Field.Length == 0 ? c.Message : $"{c.Field}: {c.Message}"));
                return new ClusterExposeException(ErrorIds.ClusterInvalidObject, ExposeErrorKind.InvalidData,
                    $"The cluster refused {target} ({verb}): {detail}", target, innerException: exception);
            case HttpStatusCode.InternalServerError when serverMessage.Contains("field not declared in schema", StringComparison.Ordinal):
            {
                // Server-side apply cannot build its typed patch from a field the schema lacks, and says so with a 500.
                var field = System.Text.RegularExpressions.Regex.Match(serverMessage, @"Kind=(\w+)\): (\S+): field not declared in schema");
                string unknown = field.Success ? $"{field.Groups[2].Value} is not a field of {field.Groups[1].Value} (field not declared in schema)" : serverMessage;
                return new ClusterExposeException(ErrorIds.ClusterInvalidObject, ExposeErrorKind.InvalidData,
                    $"The cluster refused {target} ({verb}): {unknown}", target, "Remove the field, or check the apiVersion and kind of the object.", exception);
            }

            default:
                return new ClusterExposeException(ErrorIds.ClusterRequestFailed, ExposeErrorKind.ConnectionError,
                    $"The cluster at {session.Server} answered {(int)code} {reason} to {where}: {serverMessage}", target, innerException: exception);
        }
    }

    private static JsonObject? ParseStatus(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(content) is JsonObject { } obj && (string?)obj["kind"] == "Status" ? obj : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static IReadOnlyList<(string Type, string Message, string Field)> Causes(JsonObject? status) =>
        (status?["details"]?["causes"] as JsonArray ?? new JsonArray())
            .OfType<JsonObject>()
            .Select(c => ((string?)c["reason"] ?? string.Empty, (string?)c["message"] ?? string.Empty, (string?)c["field"] ?? string.Empty))
            .ToList();
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace ClusterExpose.FakeKubeApi;

/// <summary>What RBAC looks at for one request: the verb and the resource it names.</summary>
public sealed record RequestAttributes(string Verb, string Group, string Resource, string? Namespace, string? Name);

/// <summary>
/// An account of the FAKE API server that RBAC restricts: the Roles and ClusterRoles (as rendered by
/// New-ExposeRoleManifest) bound to it by RoleBindings and ClusterRoleBindings. A rule allows a request
/// when its API group, resource and verb match (and its resourceNames, when it has any, name the object);
/// a Role's rules hold only in its own namespace.
/// </summary>
public sealed class FakeAccount
{
    private readonly List<(string? Namespace, JsonObject Rule)> rules = new();

    public FakeAccount(string user)
    {
        User = user;
    }

    /// <summary>As the server names it, <c>system:serviceaccount:ns:name</c>.</summary>
    public string User { get; }

    public static FakeAccount FromRbac(string user, IEnumerable<JsonObject> documents)
    {
        var account = new FakeAccount(user);
        List<JsonObject> all = documents.ToList();
        foreach (JsonObject binding in all.Where(d => (string?)d["kind"] is "RoleBinding" or "ClusterRoleBinding"))
        {
            if (!(binding["subjects"] as JsonArray ?? new JsonArray()).OfType<JsonObject>().Any(s => Names(s, user)))
            {
                continue;
            }

            string? bindingNamespace = (string?)binding["kind"] == "RoleBinding" ? (string?)binding["metadata"]?["namespace"] ?? "default" : null;
            string roleKind = (string?)binding["roleRef"]?["kind"] ?? string.Empty;
            string roleName = (string?)binding["roleRef"]?["name"] ?? string.Empty;
            JsonObject? role = all.FirstOrDefault(d => (string?)d["kind"] == roleKind && (string?)d["metadata"]?["name"] == roleName
                && (roleKind == "ClusterRole" || ((string?)d["metadata"]?["namespace"] ?? "default") == bindingNamespace));
            foreach (JsonObject rule in (role?["rules"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
            {
                account.rules.Add((bindingNamespace, rule));
            }
        }

        return account;
    }

    public bool Allows(RequestAttributes request) =>
        rules.Any(r => (r.Namespace is null || r.Namespace == request.Namespace)
            && Has(r.Rule, "apiGroups", request.Group)
            && Has(r.Rule, "resources", request.Resource)
            && Has(r.Rule, "verbs", request.Verb)
            && (r.Rule["resourceNames"] is not JsonArray names || (request.Name is not null && names.Any(n => (string?)n == request.Name))));

    private static bool Has(JsonObject rule, string field, string value) =>
        (rule[field] as JsonArray ?? new JsonArray()).Any(v => (string?)v == value || (string?)v == "*");

    private static bool Names(JsonObject subject, string user) =>
        (string?)subject["kind"] == "ServiceAccount" && $"system:serviceaccount:{(string?)subject["namespace"]}:{(string?)subject["name"]}" == user;
}

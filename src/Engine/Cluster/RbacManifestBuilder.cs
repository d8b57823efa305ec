using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Cluster;

/// <summary>Who the rendered RBAC is for, and what it must allow.</summary>
public sealed class RbacOptions
{
    public string Name { get; set; } = "clusterexpose-publisher";

    /// <summary>Where the Role applies (and where the service account lives).</summary>
    public string Namespace { get; set; } = ExposedHost.DefaultNamespace;

    public string ServiceAccount { get; set; } = "clusterexpose";

    /// <summary>A ClusterRole and ClusterRoleBinding instead: publishing into any namespace.</summary>
    public bool AllNamespaces { get; set; }

    public IReadOnlyList<ExposeFlavor> Flavors { get; set; } = new[] { ExposeFlavor.TraefikV3 };

    public bool LegacyTraefikApiGroup { get; set; }

    public bool LegacyEndpoints { get; set; }

    /// <summary>TCP forwards on their own Traefik entry points: the k3s HelmChartConfig kube-system/traefik.</summary>
    public bool EntryPoints { get; set; }

    /// <summary>
    /// Test-SniRoute -Context: list every IngressRoute and IngressRouteTCP of the cluster, whoever made
    /// them, through a read-only ClusterRole of its own.
    /// </summary>
    public bool ReadAllRoutes { get; set; }
}

/// <summary>
/// Renders the least privilege the cluster cmdlets need: the verbs they use (get, list, create, patch,
/// delete; server-side apply is a patch that may create) on exactly the kinds they write, no
/// wildcards. API discovery needs no rule (every authenticated account may read it).
/// </summary>
public static class RbacManifestBuilder
{
    private static readonly string[] Verbs = { "get", "list", "create", "patch", "delete" };

    public static IReadOnlyList<YDocument> Build(RbacOptions options, out IReadOnlyList<ExposeProblem> errors)
    {
        var problems = new List<ExposeProblem>();
        foreach (var (value, what) in new[] { (options.Name, "Name"), (options.ServiceAccount, "ServiceAccount") })
        {
            if (!KubernetesNames.IsDns1123Subdomain(value))
            {
                problems.Add(new ExposeProblem(ErrorIds.InvalidRbacOption, ExposeErrorKind.InvalidArgument, $"{what} '{value}' is not a valid Kubernetes name.", value));
            }
        }

        if (!KubernetesNames.IsDns1123Label(options.Namespace))
        {
            problems.Add(new ExposeProblem(ErrorIds.InvalidNamespace, ExposeErrorKind.InvalidArgument, $"'{options.Namespace}' is not a valid namespace name.", options.Namespace));
        }

        errors = problems;
        if (problems.Count > 0)
        {
            return System.Array.Empty<YDocument>();
        }

        var rules = new YSequence();
        rules.Add(Rule("", options.LegacyEndpoints ? new[] { "services", "endpoints" } : new[] { "services" }));
        rules.Add(Rule("discovery.k8s.io", new[] { "endpointslices" }));
        // The same lists of kinds the cluster readers list, so what Get- and Remove- read is granted.
        foreach (var group in options.Flavors.Distinct()
                     .SelectMany(flavor => KubeKinds.RouteKinds(flavor, options.LegacyTraefikApiGroup))
                     .GroupBy(kind => kind.Group))
        {
            rules.Add(Rule(group.Key, group.Select(kind => kind.Plural).Distinct()));
        }

        var documents = new List<YDocument>();
        AddRoleAndBinding(documents, options, options.Name, options.AllNamespaces ? null : options.Namespace, rules,
            options.AllNamespaces
                ? "What ClusterExpose's cluster cmdlets need in every namespace."
                : $"What ClusterExpose's cluster cmdlets need in namespace {options.Namespace}.");

        if (options.EntryPoints)
        {
            // Entry points of forwarded ports are one shared object in kube-system; create cannot be
            // narrowed to a name, the other verbs can.
            AddRoleAndBinding(documents, options, options.Name + "-entrypoints", "kube-system", new YSequence()
                    .Add(Rule("helm.cattle.io", new[] { "helmchartconfigs" }, new[] { "list", "create" }))
                    .Add(Rule("helm.cattle.io", new[] { "helmchartconfigs" }, new[] { "get", "patch", "delete" }, resourceName: "traefik")),
                "k3s: the HelmChartConfig kube-system/traefik that declares the entry points of TCP forwards.");
        }

        if (options.ReadAllRoutes)
        {
            // Traefik routes with every IngressRoute of every namespace, so Test-SniRoute lists them all,
            // in both API groups: a cluster may still serve the old one beside traefik.io, and the
            // reader lists every group the cluster serves. Listing is all it does.
            // Start-SniProxy -Context also lists the Services the routes name and their EndpointSlices,
            // which say where each route leads.
            var listRoutes = new YSequence();
            foreach (string group in new[] { ManifestConventions.TraefikApiGroup, ManifestConventions.LegacyTraefikApiGroup })
            {
                listRoutes.Add(Rule(group, new[] { "ingressroutes", "ingressroutetcps" }, new[] { "list" }));
            }

            listRoutes.Add(Rule("", new[] { "services" }, new[] { "list" }));
            listRoutes.Add(Rule("discovery.k8s.io", new[] { "endpointslices" }, new[] { "list" }));
            AddRoleAndBinding(documents, options, options.Name + "-route-reader", null, listRoutes,
                "Test-SniRoute -Context and Start-SniProxy -Context: every IngressRoute and IngressRouteTCP of the cluster, and the Services and EndpointSlices they lead to, read-only.");
        }

        return documents;
    }

    private static YMap Rule(string group, IEnumerable<string> resources, IEnumerable<string>? verbs = null, string? resourceName = null)
    {
        var rule = new YMap()
            .Add("apiGroups", new YSequence().Add(group))
            .Add("resources", Sequence(resources));
        if (resourceName is not null)
        {
            rule.Add("resourceNames", new YSequence().Add(resourceName));
        }

        return rule.Add("verbs", Sequence(verbs ?? Verbs));
    }

    /// <summary>A Role in <paramref name="namespaceName"/> (a ClusterRole when null) and its binding to the service account.</summary>
    private static void AddRoleAndBinding(List<YDocument> documents, RbacOptions options, string name, string? namespaceName, YSequence rules, string comment)
    {
        string roleKind = namespaceName is null ? "ClusterRole" : "Role";
        documents.Add(new YDocument(new YMap()
            .Add("apiVersion", "rbac.authorization.k8s.io/v1")
            .Add("kind", roleKind)
            .Add("metadata", Metadata(name, namespaceName))
            .Add("rules", rules),
            comment));
        documents.Add(new YDocument(new YMap()
            .Add("apiVersion", "rbac.authorization.k8s.io/v1")
            .Add("kind", roleKind + "Binding")
            .Add("metadata", Metadata(name, namespaceName))
            .Add("roleRef", new YMap()
                .Add("apiGroup", "rbac.authorization.k8s.io")
                .Add("kind", roleKind)
                .Add("name", name))
            .Add("subjects", new YSequence().Add(new YMap()
                .Add("kind", "ServiceAccount")
                .Add("name", options.ServiceAccount)
                .Add("namespace", options.Namespace)))));
    }

    private static YMap Metadata(string name, string? namespaceName)
    {
        var metadata = new YMap().Add("name", name);
        if (namespaceName is not null)
        {
            metadata.Add("namespace", namespaceName);
        }

        return metadata.Add("labels", new YMap().Add(ManifestConventions.ManagedByLabel, ManifestConventions.ManagedByValue));
    }

    private static YSequence Sequence(IEnumerable<string> values)
    {
        var sequence = new YSequence();
        foreach (string value in values)
        {
            sequence.Add(value);
        }

        return sequence;
    }
}

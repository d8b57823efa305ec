using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using ClusterExpose.Commands.Completion;
using ClusterExpose.Engine.Cluster;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Commands;

/// <summary>
/// Renders the Role and RoleBinding (or ClusterRole and ClusterRoleBinding) an automation account
/// needs to publish, list and remove exposures: exact verbs on exactly the kinds ClusterExpose writes.
/// </summary>
[Cmdlet(VerbsCommon.New, "ExposeRoleManifest")]
[OutputType(typeof(string))]
public sealed class NewExposeRoleManifestCommand : ClusterExposeCmdlet
{
    /// <summary>The service account the binding names.</summary>
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(NewNameCompleter))]
    public string ServiceAccount { get; set; } = "clusterexpose";

    /// <summary>The namespace of the Role and of the service account.</summary>
    [Parameter]
    public string Namespace { get; set; } = ExposedHost.DefaultNamespace;

    /// <summary>The name of the Role and its binding.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(NewNameCompleter))]
    public string Name { get; set; } = "clusterexpose-publisher";

    /// <summary>A ClusterRole and ClusterRoleBinding: publishing into every namespace.</summary>
    [Parameter]
    public SwitchParameter AllNamespaces { get; set; }

    /// <summary>The flavors to allow; the route kinds of the others are left out.</summary>
    [Parameter]
    public ExposeFlavor[] Flavor { get; set; } = { ExposeFlavor.TraefikV3 };

    /// <summary>Traefik v2 before 2.10: the traefik.containo.us API group instead of traefik.io.</summary>
    [Parameter]
    public SwitchParameter LegacyApiGroup { get; set; }

    /// <summary>Also allow the deprecated v1 Endpoints, for publishing with -LegacyEndpoints.</summary>
    [Parameter]
    public SwitchParameter LegacyEndpoints { get; set; }

    /// <summary>Also allow k3s's HelmChartConfig kube-system/traefik, which declares the entry points of TCP forwards.</summary>
    [Parameter]
    public SwitchParameter EntryPoints { get; set; }

    /// <summary>Also allow listing every IngressRoute and IngressRouteTCP of the cluster, as Test-SniRoute -Context does.</summary>
    [Parameter]
    public SwitchParameter ReadAllRoutes { get; set; }

    protected override void EndProcessing()
    {
        IReadOnlyList<YDocument> documents = RbacManifestBuilder.Build(new RbacOptions
        {
            Name = Name,
            Namespace = Namespace,
            ServiceAccount = ServiceAccount,
            AllNamespaces = AllNamespaces.IsPresent,
            Flavors = Flavor.Distinct().ToArray(),
            LegacyTraefikApiGroup = LegacyApiGroup.IsPresent,
            LegacyEndpoints = LegacyEndpoints.IsPresent,
            EntryPoints = EntryPoints.IsPresent,
            ReadAllRoutes = ReadAllRoutes.IsPresent,
        }, out IReadOnlyList<ExposeProblem> errors);
        WriteErrors(errors);
        if (errors.Count == 0)
        {
            WriteObject(YamlText.Write(documents));
        }
    }
}

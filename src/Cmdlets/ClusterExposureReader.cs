using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using ClusterExpose.Commands.Completion;
using ClusterExpose.Engine.Cluster;

namespace ClusterExpose.Commands;

/// <summary>Shared by Get-ExposedHost and Get-TcpForward: read what ClusterExpose made in the cluster, filter by name.</summary>
public abstract class ClusterExposureReader<T> : ClusterCmdlet
    where T : class, IExposeResource
{
    /// <summary>Names, wildcards allowed; all when not given.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(KubeExposureNameCompleter))]
    public string[] Name { get; set; } = { "*" };

    /// <summary>Every namespace instead of one.</summary>
    [Parameter]
    public SwitchParameter AllNamespaces { get; set; }

    /// <summary>
    /// Route flavors to read besides the cluster's own and those its Services name; their route
    /// kinds must be granted (New-ExposeRoleManifest -Flavor).
    /// </summary>
    [Parameter]
    public ExposeFlavor[] Flavor { get; set; } = System.Array.Empty<ExposeFlavor>();

    private protected abstract string Noun { get; }

    protected override void EndProcessing()
    {
        using ClusterSession session = OpenSession();
        ClusterRouteApis apis = Required(session, () => ClusterDiscovery.Discover(session));
        ClusterInventory inventory = Required(session, () => ClusterInventory.Read(session, apis, AllNamespaces.IsPresent ? null : session.Namespace, Flavor));
        ShowWarnings(session);
        foreach (string warning in inventory.Model.Warnings)
        {
            WriteWarning(warning);
        }

        WriteErrors(inventory.Model.Errors);
        List<T> found = inventory.Model.Resources.OfType<T>().OrderBy(r => r.Namespace).ThenBy(r => r.Name).ToList();
        foreach (string pattern in Name)
        {
            var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
            List<T> matched = found.Where(r => wildcard.IsMatch(r.Name)).ToList();
            if (matched.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                string where = AllNamespaces.IsPresent ? "any namespace" : $"namespace {session.Namespace}";
                WriteError(ToErrorRecord(new ExposeProblem(ErrorIds.ExposureNotFound, ExposeErrorKind.ObjectNotFound,
                    $"No {Noun} named '{pattern}' in {where} of the cluster at {session.Server}.", pattern)));
            }

            WriteObject(matched, enumerateCollection: true);
            found.RemoveAll(matched.Contains);
        }
    }
}

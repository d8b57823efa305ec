using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using ClusterExpose.Commands.Completion;
using ClusterExpose.Engine.Cluster;

namespace ClusterExpose.Commands;

/// <summary>
/// Shared by Remove-ExposedHost and Remove-TcpForward: delete exactly the objects ClusterExpose made
/// for the named exposures. Every delete goes to the server as a dry run first, with the uid and
/// resourceVersion it was read with; if any is refused, nothing is deleted.
/// </summary>
public abstract class ClusterExposureRemover<T> : ClusterCmdlet
    where T : class, IExposeResource
{
    private protected const string NameParameterSet = "Name";
    private protected const string ObjectParameterSet = "Object";

    private readonly List<(string Name, string? Namespace)> targets = new();

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameParameterSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(KubeExposureNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Output each exposure once its objects are deleted.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// Route flavors to read besides the cluster's own and those its Services name; their route
    /// kinds must be granted (New-ExposeRoleManifest -Flavor).
    /// </summary>
    [Parameter]
    public ExposeFlavor[] Flavor { get; set; } = System.Array.Empty<ExposeFlavor>();

    private protected abstract string Noun { get; }

    private protected abstract T[]? Objects { get; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ObjectParameterSet)
        {
            // A $null piped in (a variable never set) is an error, not a removal of nothing.
            var received = new List<IExposeResource>();
            CollectInput(Objects is null ? null : Objects.Cast<object?>().ToArray(), received);
            targets.AddRange(received.OfType<T>().Select(o => (o.Name, (string?)o.Namespace)));
        }
        else
        {
            targets.AddRange(Name.Select(n => (n, (string?)null)));
        }
    }

    protected override void EndProcessing()
    {
        if (targets.Count == 0)
        {
            return;
        }

        using ClusterSession session = OpenSession();
        ClusterRouteApis apis = Required(session, () => ClusterDiscovery.Discover(session));
        // One namespace at a time: an account may hold a Role in each rather than a ClusterRole.
        var inventories = new Dictionary<string, ClusterInventory>(StringComparer.Ordinal);
        foreach (string namespaceName in targets.Select(t => t.Namespace ?? session.Namespace).Distinct())
        {
            inventories[namespaceName] = Required(session, () => ClusterInventory.Read(session, apis, namespaceName, Flavor));
        }

        var plans = new List<PlannedRemoval<T>>();
        var errors = new List<ExposeProblem>();
        foreach (var (name, objectNamespace) in targets)
        {
            string namespaceName = objectNamespace ?? session.Namespace;
            ClusterInventory inventory = inventories[namespaceName];
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            List<T> matched = inventory.Model.Resources.OfType<T>().Where(r => r.Namespace == namespaceName && pattern.IsMatch(r.Name)).ToList();
            if (matched.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                errors.Add(Required(session, () => ClusterRemover.NothingToRemove(session, Noun, Noun, name, namespaceName)).Problem);
            }

            foreach (T resource in matched.Where(r => plans.All(p => p.Owner != Engine.Manifests.ManifestConventions.OwnerValue(r) || p.Namespace != r.Namespace)))
            {
                string owner = Engine.Manifests.ManifestConventions.OwnerValue(resource);
                plans.Add(new PlannedRemoval<T>(owner, resource.Namespace, Required(session, () => ClusterRemover.Plan(session, inventory, owner, resource.Namespace)), resource));
            }
        }

        // The server checks every delete (preconditions included) before any is made.
        IReadOnlyList<ExposeProblem> refused;
        try
        {
            refused = ClusterChanges.Remove(session, plans, errors, new CmdletChangeHost(this), removed =>
            {
                if (PassThru.IsPresent)
                {
                    WriteObject(removed);
                }
            });
        }
        catch (ClusterExposeException exception)
        {
            ShowWarnings(session);
            ThrowTerminatingError(ToErrorRecord(exception));
            return;
        }

        ShowWarnings(session);
        WriteErrors(refused);
    }
}

using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Cluster;

/// <summary>What removing one exposure deletes, what it takes out of shared objects, and what it leaves and why.</summary>
public sealed class RemovalPlan
{
    public List<ManagedObject> Delete { get; } = new();

    /// <summary>Shared objects (the k3s HelmChartConfig) to take the exposure's entry points out of.</summary>
    public List<SharedRelease> Release { get; } = new();

    public List<string> Notes { get; } = new();

    public override string ToString() =>
        string.Join(", ", Delete.Select(o => o.ToString()).Concat(Release.Select(r => r.ToString())));
}

/// <summary>One exposure's entry points, to come out of a shared object (which goes with its last owner).</summary>
public sealed record SharedRelease(ManagedObject Shared, string SharedOwner, IReadOnlyList<string> EntryPoints)
{
    public override string ToString() => $"entry point {string.Join(", ", EntryPoints)} in {Shared}";
}

/// <summary>
/// Deletes exactly the objects ClusterExpose made for one exposure: found by label and owner
/// annotation, deleted with the uid and resourceVersion they were read with, so an object replaced or
/// changed in between (by hand, or by another tool under the same name) is left alone by the server.
/// Every delete is first sent as a dry run; one refusal deletes nothing.
/// </summary>
public static class ClusterRemover
{
    public static RemovalPlan Plan(ClusterSession session, ClusterInventory inventory, string owner, string namespaceName)
    {
        var plan = new RemovalPlan();
        foreach (ManagedObject managed in inventory.OwnedBy(owner, namespaceName))
        {
            if (managed.Type.Kind == KubeKinds.HelmChartConfig)
            {
                // Other forwards' ports live in the same object: only this one's come out.
                List<string> entryPoints = inventory.Model.Resources.OfType<TcpForward>()
                    .Where(f => f.Namespace == namespaceName && ManifestConventions.OwnerValue(f) == owner)
                    .Select(f => f.EntryPoint)
                    .ToList();
                plan.Release.Add(new SharedRelease(managed, ManifestConventions.SharedOwnerValue(namespaceName, owner), entryPoints));
                continue;
            }

            plan.Delete.Add(managed);
        }

        // Endpoints are read only where the Service says they were written: every read of v1 Endpoints draws a deprecation warning.
        foreach (ManagedObject service in plan.Delete.Where(o => o.Type.Kind == KubeKinds.Service && o.LegacyEndpoints).ToList())
        {
            JsonObject? endpoints;
            try
            {
                endpoints = session.Get(new KubeResourceType(KubeKinds.Endpoints, "v1"), service.Namespace, service.Name);
            }
            catch (ClusterExposeException exception) when (exception.ErrorId == ErrorIds.ClusterForbidden)
            {
                // An account set up without legacy Endpoints (the default) may not read them; it cannot have written any either.
                plan.Notes.Add($"Legacy Endpoints {service.Namespace}/{service.Name} were not checked: the account may not read Endpoints.");
                continue;
            }

            if (endpoints is not null && ManagedObject.From(new KubeResourceType(KubeKinds.Endpoints, "v1"), endpoints) is { } managed && managed.Owners.Contains(owner))
            {
                plan.Delete.Add(managed);
            }
        }

        return plan;
    }

    /// <summary>Says why nothing of <paramref name="owner"/> was found, naming a same-named object that is not ours.</summary>
    public static ClusterExposeException NothingToRemove(ClusterSession session, string owner, string kind, string name, string namespaceName)
    {
        JsonObject? service = session.Get(new KubeResourceType(KubeKinds.Service, "v1"), namespaceName, name);
        if (service is not null)
        {
            return new ClusterExposeException(ErrorIds.NotManagedByClusterExpose, ExposeErrorKind.InvalidOperation,
                $"Service {namespaceName}/{name} exists but ClusterExpose did not create it (no {ManifestConventions.ManagedByLabel} label and {ManifestConventions.OwnerAnnotation} annotation naming {owner}); it was left alone.",
                $"{namespaceName}/{name}", "Delete it with kubectl if it is really meant to go.");
        }

        return new ClusterExposeException(ErrorIds.ExposureNotFound, ExposeErrorKind.ObjectNotFound,
            $"No {kind} named '{name}' in namespace {namespaceName} of the cluster at {session.Server}.",
            $"{namespaceName}/{name}", $"List what is there with Get-{kind} -Namespace {namespaceName}, or Get-{kind} -AllNamespaces.");
    }

    /// <summary>Carries out a plan (or sends all of it as a dry run): the deletes, then the releases from shared objects.</summary>
    public static void Execute(ClusterSession session, RemovalPlan plan, bool dryRun)
    {
        Delete(session, plan.Delete, dryRun);
        foreach (SharedRelease release in plan.Release)
        {
            // Read again at this point: an earlier release in the same run may have changed or deleted it.
            SharedEntryPoints.Release(session, release.Shared.Type, release.SharedOwner, release.EntryPoints, dryRun);
        }
    }

    public static void Delete(ClusterSession session, IEnumerable<ManagedObject> objects, bool dryRun)
    {
        foreach (ManagedObject managed in objects)
        {
            session.Delete(managed.Type, managed.Namespace, managed.Name, managed.Uid, managed.ResourceVersion, dryRun);
        }
    }
}

using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace ClusterExpose.Engine.Cluster;

/// <summary>
/// What publishing and removing ask of whoever runs them (a cmdlet, a test): consent for each change,
/// as PowerShell's ShouldProcess gives it, and a place to say what happened.
/// </summary>
public interface IClusterChangeHost
{
    /// <summary>True under -WhatIf: nothing is changed, and the plan is reported as if it were.</summary>
    bool WhatIf { get; }

    /// <summary>Whether to make this change; false when the user declines it or under -WhatIf.</summary>
    bool ShouldProcess(string target, string action);

    void Progress(string activity, string status, int index, int count);

    void ProgressDone();

    void Verbose(string message);

    void Warning(string message);
}

/// <summary>One object published (or, under -WhatIf, that would be), with the object the server returned.</summary>
public sealed record PublishedItem(PublishItem Item, JsonObject? Applied);

/// <summary>One exposure removal planned and made (or, under -WhatIf, not).</summary>
public sealed record PlannedRemoval<T>(string Owner, string Namespace, RemovalPlan Plan, T Resource);

/// <summary>
/// The two passes every change to a cluster makes: every object goes to the server as a dry run
/// first (its whole validation, admission and preconditions, nothing kept); only when all pass are
/// the real writes made, one by one with the host's consent. A refusal in the first pass changes
/// nothing; a failure in the second stops there and is thrown.
/// </summary>
public static class ClusterChanges
{
    /// <summary>
    /// Publishes <paramref name="items"/>; returns the problems of the dry run (nothing written then),
    /// or none after yielding each item published, left unchanged, or planned under -WhatIf.
    /// </summary>
    public static IReadOnlyList<ExposeProblem> Publish(ClusterSession session, IReadOnlyList<PublishItem> items, bool force, IClusterChangeHost host, System.Action<PublishedItem> done)
    {
        var problems = new List<ExposeProblem>();
        string activity = "Publishing to " + session.Server;
        for (int i = 0; i < items.Count; i++)
        {
            host.Progress(activity, "Validating with a server-side dry run: " + items[i], i, items.Count);
            try
            {
                ClusterPublisher.DryRun(session, items[i], force);
            }
            catch (ClusterExposeException exception)
            {
                problems.Add(exception.Problem);
            }
        }

        if (problems.Count > 0)
        {
            host.Verbose($"The server refused {problems.Count} of {items.Count} object(s); nothing was written.");
            host.ProgressDone();
            return problems;
        }

        for (int i = 0; i < items.Count; i++)
        {
            PublishItem item = items[i];
            host.Progress(activity, item.ToString(), i, items.Count);
            if (item.Action == PublishAction.Unchanged)
            {
                if (host.WhatIf)
                {
                    host.ShouldProcess(item.ToString(), "Leave unchanged");
                }

                host.Verbose($"{item} is unchanged.");
                done(new PublishedItem(item, null));
                continue;
            }

            string action = item.Action == PublishAction.Create ? "Create" : $"Update {string.Join(", ", item.ChangedFields)}";
            if (!host.ShouldProcess(item.ToString(), action))
            {
                if (host.WhatIf)
                {
                    // The plan as objects, for scripts that check it before they apply.
                    done(new PublishedItem(item, null));
                }

                continue;
            }

            try
            {
                done(new PublishedItem(item, ClusterPublisher.Apply(session, item, force)));
            }
            catch (ClusterExposeException)
            {
                host.ProgressDone();
                host.Verbose($"Stopped after {i} of {items.Count} object(s): the rest were not applied.");
                throw;
            }
        }

        host.ProgressDone();
        return problems;
    }

    /// <summary>
    /// Removes what <paramref name="plans"/> name, with the problems found while planning
    /// (<paramref name="planProblems"/>) counted as refusals; returns every refusal (nothing deleted
    /// then), or none after yielding each exposure removed.
    /// </summary>
    public static IReadOnlyList<ExposeProblem> Remove<T>(ClusterSession session, IReadOnlyList<PlannedRemoval<T>> plans, IReadOnlyList<ExposeProblem> planProblems, IClusterChangeHost host, System.Action<T> done)
    {
        var problems = new List<ExposeProblem>(planProblems);
        foreach (PlannedRemoval<T> removal in plans)
        {
            try
            {
                ClusterRemover.Execute(session, removal.Plan, dryRun: true);
            }
            catch (ClusterExposeException exception)
            {
                problems.Add(exception.Problem);
            }
        }

        if (problems.Count > 0)
        {
            if (plans.Count > 0)
            {
                host.Verbose("Nothing was deleted.");
            }

            return problems;
        }

        foreach (PlannedRemoval<T> removal in plans)
        {
            foreach (string note in removal.Plan.Notes)
            {
                host.Warning(note);
            }

            if (host.ShouldProcess($"{removal.Owner} in namespace {removal.Namespace} ({removal.Plan})", "Remove"))
            {
                ClusterRemover.Execute(session, removal.Plan, dryRun: false);
                done(removal.Resource);
            }
        }

        return problems;
    }
}

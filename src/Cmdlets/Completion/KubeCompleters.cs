using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using ClusterExpose.Engine.Cluster;

namespace ClusterExpose.Commands.Completion;

/// <summary>Completes -Context from the kubeconfig (the one named by -KubeConfig, else the default), current context first. No network.</summary>
public sealed class KubeContextCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionText.Complete(wordToComplete, () => ClusterConnection.ContextNames(fakeBoundParameters["KubeConfig"]?.ToString()));
}

/// <summary>
/// Completes -Namespace by asking the cluster (within two seconds); without an answer, it offers
/// nothing rather than guessing.
/// </summary>
public sealed class KubeNamespaceCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionText.Complete(wordToComplete, () =>
        {
            using ClusterSession session = CompletionText.OpenSession(fakeBoundParameters, withNamespace: false);
            return session.NamespaceNames().OrderBy(name => name, StringComparer.Ordinal).ToList();
        });
}

/// <summary>
/// Completes -Name of the Get- and Remove- cluster cmdlets with the exposures ClusterExpose made in
/// the cluster (ExposedHost or TcpForward after the command's noun), within two seconds or not at all.
/// </summary>
public sealed class KubeExposureNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionText.Complete(wordToComplete, () =>
        {
            bool forwards = commandName.EndsWith("TcpForward", StringComparison.OrdinalIgnoreCase);
            bool all = fakeBoundParameters["AllNamespaces"] is SwitchParameter { IsPresent: true } or true;
            using ClusterSession session = CompletionText.OpenSession(fakeBoundParameters, withNamespace: true);
            ClusterInventory inventory = ClusterInventory.Read(session, ClusterDiscovery.Discover(session), all ? null : session.Namespace);
            return inventory.Model.Resources
                .Where(r => forwards ? r is TcpForward : r is ExposedHost)
                .Select(r => r.Name)
                .Distinct()
                .OrderBy(name => name, StringComparer.Ordinal)
                .ToList();
        });
}

internal static class CompletionText
{
    /// <summary>Completers that ask the cluster give up after this, so that Tab never hangs on a cluster that is down.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);

    /// <summary>The candidates (in the order given) that start with what was typed; none when they cannot be had.</summary>
    public static IEnumerable<CompletionResult> Complete(string wordToComplete, Func<IEnumerable<string>> candidates)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        try
        {
            return candidates()
                .Where(name => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                .Select(name => new CompletionResult(Quote(name), name, CompletionResultType.ParameterValue, name))
                .ToList();
        }
        catch (ClusterExposeException)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    /// <summary>A session from the -KubeConfig, -Context (and -Namespace) already on the command line.</summary>
    public static ClusterSession OpenSession(IDictionary fakeBoundParameters, bool withNamespace) =>
        ClusterConnection.Open(new ClusterConnectionOptions
        {
            KubeConfigPath = fakeBoundParameters["KubeConfig"]?.ToString(),
            Context = fakeBoundParameters["Context"]?.ToString(),
            Namespace = withNamespace ? fakeBoundParameters["Namespace"]?.ToString() : null,
            RequestTimeout = Limit,
        });

    /// <summary>Quotes a value that PowerShell would otherwise split or expand.</summary>
    public static string Quote(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || "'\"`$&@(){};,|<>#".Contains(c)) ? "'" + value.Replace("'", "''") + "'" : value;
}

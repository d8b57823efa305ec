using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using ClusterExpose.Engine.Routing;

namespace ClusterExpose.Commands.Completion;

/// <summary>
/// Completes -Hostname and -EntryPoint of Test-SniRoute (and -Hostname of Test-Exposure) from the routes the command line already
/// names: the files of -Path and the objects of -InputObject (when given as a variable).
/// </summary>
public sealed class RouteArgumentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var files = new List<string>();
        foreach (string path in Strings(fakeBoundParameters["Path"]))
        {
            files.AddRange(Resolve(path));
        }

        var resources = new List<IExposeResource>();
        foreach (object? item in Items(fakeBoundParameters["InputObject"]))
        {
            if ((item is PSObject wrapped ? wrapped.BaseObject : item) is IExposeResource resource)
            {
                resources.Add(resource);
            }
        }

        if (files.Count == 0 && resources.Count == 0)
        {
            return Array.Empty<CompletionResult>();
        }

        var (hostnames, entryPoints) = RouteCatalog.Read(files, resources);
        IEnumerable<string> candidates = parameterName == "EntryPoint" ? entryPoints : hostnames;
        string prefix = wordToComplete.Trim('\'', '"');
        return candidates
            .Where(c => c.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(c => new CompletionResult(c, c, CompletionResultType.ParameterValue, c))
            .ToList();
    }

    private static IEnumerable<string> Strings(object? value) => Items(value).Select(v => (v is PSObject p ? p.BaseObject : v)?.ToString()).OfType<string>();

    private static IEnumerable<object?> Items(object? value) => value switch
    {
        null => Array.Empty<object?>(),
        string single => new object?[] { single },
        IEnumerable many => many.Cast<object?>(),
        _ => new[] { value },
    };

    /// <summary>Resolves a path against the session's current location, wildcards included.</summary>
    private static IEnumerable<string> Resolve(string path)
    {
        string full = Path.IsPathRooted(path) ? path : Path.Combine(CurrentLocation(), path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder))
        {
            return Array.Empty<string>();
        }

        return Directory.EnumerateFiles(folder, Path.GetFileName(full));
    }

    /// <summary>The session's current folder; the process's when the session cannot be asked (a pipeline is running).</summary>
    private static string CurrentLocation()
    {
        try
        {
            return Runspace.DefaultRunspace?.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath ?? Environment.CurrentDirectory;
        }
        catch (PSInvalidOperationException)
        {
            return Environment.CurrentDirectory;
        }
    }
}

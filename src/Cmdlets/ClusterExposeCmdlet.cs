using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;

namespace ClusterExpose.Commands;

/// <summary>What every ClusterExpose cmdlet shares: turning engine failures into ErrorRecords.</summary>
public abstract class ClusterExposeCmdlet : PSCmdlet
{

    /// <summary>The largest manifest file read unless a cmdlet is told otherwise (Import-ExposeManifest -MaxFileBytes).</summary>
    internal const long DefaultMaxManifestBytes = 16L * 1024 * 1024;

    /// <summary>Files from this size on get a progress record while they are read (and, by Import-ExposeManifest, built).</summary>
    private protected const long ProgressFromBytes = 4L * 1024 * 1024;

    /// <summary>The progress record every reader of manifest files writes, one activity for reading and building.</summary>
    private protected static ProgressRecord ReadProgress(string status) => new(2, "Reading manifests", status);

    internal static ErrorCategory CategoryOf(ExposeErrorKind kind) => kind switch
    {
        ExposeErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ExposeErrorKind.InvalidData => ErrorCategory.InvalidData,
        ExposeErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        ExposeErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        ExposeErrorKind.NotImplemented => ErrorCategory.NotImplemented,
        ExposeErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        ExposeErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
        ExposeErrorKind.ProtocolError => ErrorCategory.ProtocolError,
        ExposeErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        ExposeErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>The record of a thrown failure, carrying the exception that was thrown.</summary>
    internal static ErrorRecord ToErrorRecord(ClusterExposeException exception) => ToErrorRecord(exception.Problem, exception);

    /// <summary>The record of a collected problem; an ErrorRecord needs an exception, so it gets one here.</summary>
    internal static ErrorRecord ToErrorRecord(ExposeProblem problem) => ToErrorRecord(problem, problem.ToException());

    private static ErrorRecord ToErrorRecord(ExposeProblem problem, ClusterExposeException exception)
    {
        var record = new ErrorRecord(exception, problem.ErrorId, CategoryOf(problem.Kind), problem.TargetObject);
        if (problem.RecommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(problem.Message) { RecommendedAction = problem.RecommendedAction };
        }

        return record;
    }

    internal void WriteErrors(IEnumerable<ExposeProblem> errors)
    {
        foreach (ExposeProblem error in errors)
        {
            WriteError(ToErrorRecord(error));
        }
    }

    /// <summary>Opens a cluster session; a configuration that cannot be used stops the command.</summary>
    private protected Engine.Cluster.ClusterSession OpenSession(string? kubeConfig, string? context, string? namespaceName, System.Threading.CancellationToken cancellation = default)
    {
        try
        {
            return Engine.Cluster.ClusterConnection.Open(new Engine.Cluster.ClusterConnectionOptions
            {
                KubeConfigPath = string.IsNullOrEmpty(kubeConfig) ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(kubeConfig),
                Context = context,
                Namespace = namespaceName,
                Cancellation = cancellation,
            });
        }
        catch (ClusterExposeException exception)
        {
            ThrowTerminatingError(ToErrorRecord(exception));
            throw;
        }
    }

    /// <summary>Runs a step whose failure stops the command (discovery, listing), after showing the server's warnings.</summary>
    private protected T Required<T>(Engine.Cluster.ClusterSession session, Func<T> step)
    {
        try
        {
            return step();
        }
        catch (ClusterExposeException exception)
        {
            ShowWarnings(session);
            ThrowTerminatingError(ToErrorRecord(exception));
            throw;
        }
    }

    /// <summary>Deprecation and other warnings the server sent, as PowerShell warnings.</summary>
    private protected void ShowWarnings(Engine.Cluster.ClusterSession session)
    {
        foreach (string warning in session.TakeWarnings())
        {
            WriteWarning($"{session.Server}: {warning}");
        }
    }

    /// <summary>
    /// Collects one pipeline record: each item must be an ExposedHost or a TcpForward. A $null piped in
    /// (often a variable that was never set) is an error rather than nothing, so a set is never
    /// published or rendered short of what the script meant. Returns false when anything was refused.
    /// </summary>
    internal bool CollectInput(object?[]? inputs, List<IExposeResource> into)
    {
        if (inputs is null)
        {
            // Unbound (the cmdlet run on its own) is no input; bound to $null from the pipeline is a mistake.
            return !MyInvocation.ExpectingInput || ReportNullInput();
        }

        bool accepted = true;
        foreach (object? input in inputs)
        {
            accepted &= TryCollect(input, into);
        }

        return accepted;
    }

    /// <summary>Unwraps pipeline input to the model objects ClusterExpose understands; anything else is an error.</summary>
    internal bool TryCollect(object? input, List<IExposeResource> into)
    {
        object? value = input is PSObject wrapped ? wrapped.BaseObject : input;
        if (value is IExposeResource resource)
        {
            into.Add(resource);
            return true;
        }

        if (value is null)
        {
            return ReportNullInput();
        }

        WriteError(new ErrorRecord(
            new PSArgumentException($"'{value}' ({value.GetType().Name}) is not an ExposedHost or a TcpForward. Create them with New-ExposedHost and Add-TcpForward, or read them with Import-ExposeManifest."),
            ErrorIds.UnsupportedInputObject,
            ErrorCategory.InvalidArgument,
            value));
        return false;
    }

    /// <summary>Says that the pipeline carried nothing a cmdlet that needs exposures could use.</summary>
    private protected void ReportNoInput(string what) =>
        WriteError(new ErrorRecord(
            new PSArgumentException($"No ExposedHost or TcpForward came in, so there is nothing to {what}. Pipe in what New-ExposedHost, Add-TcpForward, Import-ExposeManifest or Get-ExposedHost return."),
            ErrorIds.NoInputObject,
            ErrorCategory.InvalidArgument,
            null));

    private bool ReportNullInput()
    {
        WriteError(new ErrorRecord(
            new PSArgumentException("$null came in through the pipeline instead of an ExposedHost or a TcpForward; is the variable piped in set?"),
            ErrorIds.NullInputObject,
            ErrorCategory.InvalidArgument,
            null));
        return false;
    }

    /// <summary>Resolves manifest paths (wildcards unless <paramref name="literal"/>); a path that names no file is an error record.</summary>
    internal IEnumerable<string> ResolveManifestFiles(IEnumerable<string> paths, bool literal)
    {
        foreach (string path in paths)
        {
            var resolved = new List<string>();
            try
            {
                if (literal)
                {
                    resolved.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
                }
                else
                {
                    resolved.AddRange(GetResolvedProviderPathFromPSPath(path, out _));
                }
            }
            catch (Exception exception) when (exception is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException)
            {
                // Reported below as a path that names no file.
            }

            resolved.RemoveAll(p => !File.Exists(p));
            if (resolved.Count == 0)
            {
                WriteError(new ErrorRecord(
                    new FileNotFoundException($"No manifest file was found at '{path}'.", path),
                    ErrorIds.FileNotFound,
                    ErrorCategory.ObjectNotFound,
                    path));
            }

            foreach (string file in resolved)
            {
                yield return file;
            }
        }
    }

    /// <summary>The size cap <see cref="ReadManifestFile"/> applies.</summary>
    private protected long MaxManifestBytes { get; set; } = DefaultMaxManifestBytes;

    /// <summary>
    /// Reads a manifest file; a failure is an error record and null. A file over the size cap is refused
    /// before a byte of it is read, so a stray multi-gigabyte file cannot take the session's memory.
    /// </summary>
    internal string? ReadManifestFile(string file)
    {
        try
        {
            long length = new FileInfo(file).Length;
            if (length > MaxManifestBytes)
            {
                WriteError(new ErrorRecord(
                    new IOException($"'{file}' is {length:N0} bytes, more than the {MaxManifestBytes:N0} a manifest file may be; it was not read. Raise the cap with -MaxFileBytes if the file is really meant."),
                    ErrorIds.ManifestTooLarge,
                    ErrorCategory.LimitsExceeded,
                    file));
                return null;
            }

            if (length >= ProgressFromBytes)
            {
                WriteProgress(ReadProgress($"{file} ({length / (1024.0 * 1024):0.#} MiB)"));
            }

            return File.ReadAllText(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(exception, ErrorIds.ReadFailed, ErrorCategory.ReadError, file));
            return null;
        }
    }
}

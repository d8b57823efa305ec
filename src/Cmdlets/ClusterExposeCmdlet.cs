using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;

namespace ClusterExpose.Commands;

/// <summary>What every ClusterExpose cmdlet shares: turning engine failures into ErrorRecords.</summary>
public abstract class ClusterExposeCmdlet : PSCmdlet
{
    internal const string UnsupportedInputObjectErrorId = "UnsupportedInputObject";
    internal const string FileNotFoundErrorId = "FileNotFound";
    internal const string ReadFailedErrorId = "ReadFailed";

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

    internal static ErrorRecord ToErrorRecord(ClusterExposeException exception)
    {
        var record = new ErrorRecord(exception, exception.ErrorId, CategoryOf(exception.Kind), exception.TargetObject);
        if (exception.RecommendedAction is not null)
        {
            record.ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = exception.RecommendedAction };
        }

        return record;
    }

    internal void WriteErrors(IEnumerable<ClusterExposeException> errors)
    {
        foreach (ClusterExposeException error in errors)
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

    /// <summary>Unwraps pipeline input to the model objects ClusterExpose understands; anything else is an error.</summary>
    internal bool TryCollect(object? input, List<IExposeResource> into)
    {
        object? value = input is PSObject wrapped ? wrapped.BaseObject : input;
        if (value is IExposeResource resource)
        {
            into.Add(resource);
            return true;
        }

        WriteError(new ErrorRecord(
            new PSArgumentException($"'{value}' is not an ExposedHost or a TcpForward. Create them with New-ExposedHost and Add-TcpForward, or read them with Import-ExposeManifest."),
            UnsupportedInputObjectErrorId,
            ErrorCategory.InvalidType,
            value));
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
            catch (ItemNotFoundException)
            {
            }

            resolved.RemoveAll(p => !File.Exists(p));
            if (resolved.Count == 0)
            {
                WriteError(new ErrorRecord(
                    new FileNotFoundException($"No manifest file was found at '{path}'.", path),
                    FileNotFoundErrorId,
                    ErrorCategory.ObjectNotFound,
                    path));
            }

            foreach (string file in resolved)
            {
                yield return file;
            }
        }
    }

    /// <summary>Reads a manifest file; a failure is an error record and null.</summary>
    internal string? ReadManifestFile(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(exception, ReadFailedErrorId, ErrorCategory.ReadError, file));
            return null;
        }
    }
}

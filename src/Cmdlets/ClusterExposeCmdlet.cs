using System.Collections.Generic;
using System.Management.Automation;

namespace ClusterExpose.Commands;

/// <summary>What every ClusterExpose cmdlet shares: turning engine failures into ErrorRecords.</summary>
public abstract class ClusterExposeCmdlet : PSCmdlet
{
    internal const string UnsupportedInputObjectErrorId = "UnsupportedInputObject";

    internal static ErrorCategory CategoryOf(ExposeErrorKind kind) => kind switch
    {
        ExposeErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ExposeErrorKind.InvalidData => ErrorCategory.InvalidData,
        ExposeErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        ExposeErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
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
}

using System;

namespace ClusterExpose;

/// <summary>
/// A failure with a stable id. The facade turns it into an ErrorRecord whose FullyQualifiedErrorId
/// starts with <see cref="ErrorId"/>, so scripts can rely on the id rather than the message.
/// </summary>
public sealed class ClusterExposeException : Exception
{
    public ClusterExposeException(string errorId, ExposeErrorKind kind, string message, object? targetObject = null, string? recommendedAction = null, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorId = errorId;
        Kind = kind;
        TargetObject = targetObject;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }

    public ExposeErrorKind Kind { get; }

    public object? TargetObject { get; }

    public string? RecommendedAction { get; }
}

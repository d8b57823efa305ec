using System;

namespace ClusterExpose;

/// <summary>
/// One problem found while checking input, reading manifests or talking to a cluster, with a stable
/// id from <see cref="ErrorIds"/>. Problems are collected (validation reports every one, not only the
/// first) and become a <see cref="ClusterExposeException"/> only where something is thrown; the
/// facade turns either into an ErrorRecord.
/// </summary>
public readonly record struct ExposeProblem(string ErrorId, ExposeErrorKind Kind, string Message, object? TargetObject = null, string? RecommendedAction = null, Exception? Cause = null)
{
    /// <summary>The problem as an exception, to throw.</summary>
    public ClusterExposeException ToException() => new(this);

    public override string ToString() => $"{ErrorId}: {Message}";
}

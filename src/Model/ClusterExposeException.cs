using System;

namespace ClusterExpose;

/// <summary>
/// An <see cref="ExposeProblem"/> thrown: a failure that stops what was being done. The facade turns
/// it into an ErrorRecord whose FullyQualifiedErrorId starts with <see cref="ErrorId"/>, so scripts
/// can rely on the id rather than the message.
/// </summary>
public sealed class ClusterExposeException : Exception
{
    public ClusterExposeException(string errorId, ExposeErrorKind kind, string message, object? targetObject = null, string? recommendedAction = null, Exception? innerException = null)
        : this(new ExposeProblem(errorId, kind, message, targetObject, recommendedAction, innerException))
    {
    }

    public ClusterExposeException(ExposeProblem problem)
        : base(problem.Message, problem.Cause) => Problem = problem;

    public ExposeProblem Problem { get; }

    public string ErrorId => Problem.ErrorId;

    public ExposeErrorKind Kind => Problem.Kind;

    public object? TargetObject => Problem.TargetObject;

    public string? RecommendedAction => Problem.RecommendedAction;
}

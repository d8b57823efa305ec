namespace ClusterExpose;

/// <summary>A mistake or risk found in a set of routers by <c>Test-SniRoute -Lint</c>.</summary>
public sealed class RouteLintFinding
{
    public RouteLintFinding(LintSeverity severity, string code, string router, string? entryPoint, string message, string fix, string? source)
    {
        Severity = severity;
        Code = code;
        Router = router;
        EntryPoint = entryPoint;
        Message = message;
        Fix = fix;
        Source = source;
    }

    public LintSeverity Severity { get; }

    /// <summary>A stable identifier for the kind of finding, for scripts to filter on.</summary>
    public string Code { get; }

    public string Router { get; }

    public string? EntryPoint { get; }

    public string Message { get; }

    /// <summary>What to change.</summary>
    public string Fix { get; }

    /// <summary>Where the router came from: a file and line, or the model object.</summary>
    public string? Source { get; }

    public override string ToString() => $"{Severity} {Code} {Router}: {Message}";
}

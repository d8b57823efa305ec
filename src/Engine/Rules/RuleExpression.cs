using System.Collections.Generic;

namespace ClusterExpose.Engine.Rules;

/// <summary>Traefik's two rule dialects.</summary>
public enum RuleSyntax
{
    /// <summary>Traefik v2: multi-value matchers, {name:regex} templates.</summary>
    V2,
    /// <summary>Traefik v3: one value per matcher, Go regexps.</summary>
    V3,
}

/// <summary>A parsed Traefik rule: matchers joined by &&, || and !.</summary>
public abstract class RuleExpression
{
}

/// <summary>A matcher call such as <c>HostSNI(`a.example.com`)</c>; <see cref="Position"/> is the offset of its name.</summary>
public sealed class MatcherCall : RuleExpression
{
    public MatcherCall(string name, IReadOnlyList<string> arguments, int position, IReadOnlyList<int>? argumentPositions = null)
    {
        Name = name;
        Arguments = arguments;
        Position = position;
        ArgumentPositions = argumentPositions ?? new int[arguments.Count];
    }

    public string Name { get; }

    public IReadOnlyList<string> Arguments { get; }

    public int Position { get; }

    /// <summary>The offset of each argument's opening quote, so that a bad value can be pointed at.</summary>
    public IReadOnlyList<int> ArgumentPositions { get; }
}

/// <summary>Two operands joined by <c>&amp;&amp;</c> or <c>||</c>.</summary>
public abstract class BinaryExpression : RuleExpression
{
    protected BinaryExpression(RuleExpression left, RuleExpression right)
    {
        Left = left;
        Right = right;
    }

    public RuleExpression Left { get; }

    public RuleExpression Right { get; }
}

public sealed class AndExpression : BinaryExpression
{
    public AndExpression(RuleExpression left, RuleExpression right)
        : base(left, right)
    {
    }
}

public sealed class OrExpression : BinaryExpression
{
    public OrExpression(RuleExpression left, RuleExpression right)
        : base(left, right)
    {
    }
}

public sealed class NotExpression : RuleExpression
{
    public NotExpression(RuleExpression operand) => Operand = operand;

    public RuleExpression Operand { get; }
}

/// <summary>Why a rule did not parse, and where (a zero-based character offset).</summary>
public sealed class RuleParseError
{
    public RuleParseError(string message, int position)
    {
        Message = message;
        Position = position;
    }

    public string Message { get; }

    public int Position { get; }

    public override string ToString() => $"{Message} (at position {Position})";
}

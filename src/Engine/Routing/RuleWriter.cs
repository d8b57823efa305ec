using System.Text;
using ClusterExpose.Engine.Rules;

namespace ClusterExpose.Engine.Routing;

/// <summary>Writes a parsed rule back as text: backtick strings, parentheses only where precedence needs them.</summary>
public static class RuleWriter
{
    public static string Write(RuleExpression expression)
    {
        var builder = new StringBuilder();
        Append(builder, expression, 0);
        return builder.ToString();
    }

    private static int Precedence(RuleExpression expression) => expression switch
    {
        OrExpression => 1,
        AndExpression => 2,
        _ => 3,
    };

    private static void Append(StringBuilder builder, RuleExpression expression, int parentPrecedence)
    {
        int precedence = Precedence(expression);
        bool parenthesise = precedence < parentPrecedence;
        if (parenthesise)
        {
            builder.Append('(');
        }

        switch (expression)
        {
            case BinaryExpression binary:
                Append(builder, binary.Left, precedence);
                builder.Append(binary is AndExpression ? " && " : " || ");
                // Both operators are associative, so a right operand of the same kind needs no parentheses either.
                Append(builder, binary.Right, precedence);
                break;
            case NotExpression not:
                builder.Append('!');
                Append(builder, not.Operand, 3);
                break;
            case MatcherCall call:
                builder.Append(call.Name).Append('(');
                for (int i = 0; i < call.Arguments.Count; i++)
                {
                    builder.Append(i == 0 ? string.Empty : ", ").Append(Quote(call.Arguments[i]));
                }

                builder.Append(')');
                break;
        }

        if (parenthesise)
        {
            builder.Append(')');
        }
    }

    /// <summary>Backticks unless the value holds one; then a Go double-quoted string.</summary>
    public static string Quote(string value)
    {
        if (!value.Contains('`', System.StringComparison.Ordinal))
        {
            return "`" + value + "`";
        }

        var builder = new StringBuilder("\"");
        foreach (char c in value)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }
}

using System;
using System.Collections.Generic;
using System.Net;
using System.Text.RegularExpressions;

namespace ClusterExpose.Engine.Routing;

/// <summary>A compiled rule: an immutable tree evaluated once per connection, shared by Test-SniRoute and the proxy.</summary>
public abstract class RuleNode
{
    public abstract Truth Evaluate(in RouteQuery query);

    internal static Truth And(Truth left, Truth right) =>
        left == Truth.False || right == Truth.False ? Truth.False
        : left == Truth.True && right == Truth.True ? Truth.True
        : Truth.Unknown;

    internal static Truth Or(Truth left, Truth right) =>
        left == Truth.True || right == Truth.True ? Truth.True
        : left == Truth.False && right == Truth.False ? Truth.False
        : Truth.Unknown;

    internal static Truth Not(Truth value) => value switch
    {
        Truth.True => Truth.False,
        Truth.False => Truth.True,
        _ => Truth.Unknown,
    };

    internal static Truth Of(bool value) => value ? Truth.True : Truth.False;
}

internal sealed class AndNode : RuleNode
{
    private readonly RuleNode left;
    private readonly RuleNode right;

    public AndNode(RuleNode left, RuleNode right)
    {
        this.left = left;
        this.right = right;
    }

    public IEnumerable<RuleNode> Children => new[] { left, right };

    public override Truth Evaluate(in RouteQuery query)
    {
        Truth first = left.Evaluate(query);
        return first == Truth.False ? Truth.False : And(first, right.Evaluate(query));
    }
}

internal sealed class OrNode : RuleNode
{
    private readonly RuleNode left;
    private readonly RuleNode right;

    public OrNode(RuleNode left, RuleNode right)
    {
        this.left = left;
        this.right = right;
    }

    public IEnumerable<RuleNode> Children => new[] { left, right };

    public override Truth Evaluate(in RouteQuery query)
    {
        Truth first = left.Evaluate(query);
        return first == Truth.True ? Truth.True : Or(first, right.Evaluate(query));
    }
}

internal sealed class NotNode : RuleNode
{
    private readonly RuleNode operand;

    public NotNode(RuleNode operand) => this.operand = operand;

    public RuleNode Operand => operand;

    public override Truth Evaluate(in RouteQuery query) => Not(operand.Evaluate(query));
}

/// <summary>
/// Host / HostSNI with one value: an exact name (case-insensitive), <c>*</c> (any name, HostSNI
/// only), <c>*.domain</c> (exactly one label, Traefik 3.7) or <c>**.domain</c> (any depth).
/// </summary>
internal sealed class NameNode : RuleNode
{
    private readonly string value;
    private readonly bool matchesAnything;
    private readonly int wildcardDepth;

    public NameNode(string value, bool starMatchesAnything)
    {
        string lowered = value.ToLowerInvariant().TrimEnd('.');
        matchesAnything = starMatchesAnything && lowered == "*";
        if (lowered.StartsWith("**.", StringComparison.Ordinal))
        {
            wildcardDepth = int.MaxValue;
            lowered = lowered.Substring(3);
        }
        else if (lowered.StartsWith("*.", StringComparison.Ordinal))
        {
            wildcardDepth = 1;
            lowered = lowered.Substring(2);
        }

        this.value = lowered;
    }

    public override Truth Evaluate(in RouteQuery query) => Of(Matches(query.ServerName));

    internal bool Matches(string name)
    {
        if (matchesAnything)
        {
            return true;
        }

        if (wildcardDepth == 0)
        {
            return string.Equals(name, value, StringComparison.OrdinalIgnoreCase);
        }

        // *.domain: the name minus its first label equals the domain; **.domain: any deeper name.
        if (name.Length <= value.Length + 1 || name[name.Length - value.Length - 1] != '.'
            || !name.EndsWith(value, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        int labels = 1;
        for (int i = 0; i < name.Length - value.Length - 1; i++)
        {
            if (name[i] == '.')
            {
                labels++;
            }
        }

        return labels <= wildcardDepth && name[0] != '.';
    }
}

/// <summary>HostRegexp / HostSNIRegexp: Go's MatchString, unanchored, over the lowercased name.</summary>
internal sealed class RegexpNode : RuleNode
{
    private readonly Regex regex;

    public RegexpNode(Regex regex) => this.regex = regex;

    public override Truth Evaluate(in RouteQuery query)
    {
        try
        {
            return Of(regex.IsMatch(query.ServerName));
        }
        catch (RegexMatchTimeoutException)
        {
            // A pattern that backtracks this long would be linear in Go; answering "no" is the safe side for a router.
            return Truth.False;
        }
    }
}

internal sealed class ClientIpNode : RuleNode
{
    private readonly IPNetwork network;

    public ClientIpNode(IPNetwork network) => this.network = network;

    public override Truth Evaluate(in RouteQuery query) =>
        query.ClientAddress is null ? Truth.Unknown : Of(network.Contains(query.ClientAddress));
}

internal sealed class AlpnNode : RuleNode
{
    private readonly string protocol;

    public AlpnNode(string protocol) => this.protocol = protocol;

    public override Truth Evaluate(in RouteQuery query)
    {
        if (query.Alpn is null)
        {
            return Truth.Unknown;
        }

        foreach (string offered in query.Alpn)
        {
            if (string.Equals(offered, protocol, StringComparison.Ordinal))
            {
                return Truth.True;
            }
        }

        return Truth.False;
    }
}

/// <summary>Path, Header, Query, Method: decided by the request after the host, never by the name.</summary>
internal sealed class RequestConditionNode : RuleNode
{
    private readonly Truth answer;

    /// <param name="alwaysTrue">For conditions every request meets, such as PathPrefix(`/`).</param>
    public RequestConditionNode(string description, bool alwaysTrue = false)
    {
        Description = description;
        answer = alwaysTrue ? Truth.True : Truth.Unknown;
    }

    public string Description { get; }

    public override Truth Evaluate(in RouteQuery query) => answer;
}

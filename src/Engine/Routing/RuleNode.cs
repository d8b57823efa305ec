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

/// <summary>How a name matcher compares its value.</summary>
internal enum NameMatching
{
    /// <summary>HostSNI: <c>*</c> is any name, <c>*.domain</c> one label more (v3 only; v2 refuses it).</summary>
    Sni,
    /// <summary>Host under v3: the same, since Traefik 3.7.</summary>
    Host,
    /// <summary>Host and HostHeader under v2: the value as written, case-insensitively.</summary>
    Literal,
}

/// <summary>
/// Host / HostSNI with one value, compared without case and without a trailing dot on either side.
/// A value Traefik never matches (<c>**.domain</c>) is kept, and matches only itself.
/// </summary>
internal sealed class NameNode : RuleNode
{
    private readonly string value;
    private readonly bool matchesAnything;
    private readonly bool oneLabelWildcard;
    private readonly bool sni;

    public NameNode(string value, NameMatching matching)
    {
        sni = matching == NameMatching.Sni;
        string lowered = value.ToLowerInvariant();
        lowered = lowered.EndsWith('.') ? lowered.Substring(0, lowered.Length - 1) : lowered;
        bool wildcards = matching != NameMatching.Literal;
        matchesAnything = wildcards && lowered == "*";
        if (wildcards && lowered.StartsWith("*.", StringComparison.Ordinal) && lowered.Length > 2)
        {
            oneLabelWildcard = true;
            lowered = lowered.Substring(2);
        }

        this.value = lowered;
    }

    public override Truth Evaluate(in RouteQuery query) => Of(query.NameUnroutable ? matchesAnything : Matches(sni ? query.ServerName : query.HostName));

    internal bool Matches(string name)
    {
        if (matchesAnything)
        {
            return true;
        }

        if (!oneLabelWildcard)
        {
            return string.Equals(name, value, StringComparison.OrdinalIgnoreCase);
        }

        // *.domain: one non-empty label, then exactly the domain.
        int labelLength = name.Length - value.Length - 1;
        return labelLength > 0 && name[labelLength] == '.'
            && name.EndsWith(value, StringComparison.OrdinalIgnoreCase)
            && name.IndexOf('.', 0, labelLength) < 0;
    }
}

/// <summary>
/// HostRegexp / HostSNIRegexp: Go's MatchString, unanchored, over the lowercased name: the Host
/// header as it arrived (a trailing dot kept, unlike for Host), or the TLS server name.
/// </summary>
internal sealed class RegexpNode : RuleNode
{
    private readonly Regex regex;
    private readonly bool sni;

    /// <param name="sni">HostSNIRegexp, which sees the TLS server name; HostRegexp sees the Host header.</param>
    public RegexpNode(Regex regex, bool sni)
    {
        this.regex = regex;
        this.sni = sni;
    }

    public override Truth Evaluate(in RouteQuery query)
    {
        if (query.NameUnroutable)
        {
            return Truth.False;
        }

        try
        {
            return Of(regex.IsMatch(sni ? query.ServerName : query.ReceivedName));
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

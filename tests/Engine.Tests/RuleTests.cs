using System.Collections.Generic;
using ClusterExpose.Engine.Rules;
using Xunit;

namespace ClusterExpose.Engine.Tests;

public sealed class RuleTests
{
    [Theory]
    [InlineData(RuleSyntax.V3, false, "HostRegexp(`^[a-z0-9-]+\\.kl\\.example\\.top$`)")]
    [InlineData(RuleSyntax.V3, true, "Host(`*.kl.example.top`)")]
    [InlineData(RuleSyntax.V2, false, "HostRegexp(`{subdomain:[a-z0-9-]+}.kl.example.top`)")]
    public void WritesHttpRulesInEachSyntax(RuleSyntax syntax, bool native, string wildcardRule)
    {
        // Exact names first, ranked above the wildcard route (20000 plus the domain's length).
        IReadOnlyList<HostRoute> routes = HostRuleWriter.HttpRoutes(new[] { "kl.example.top", "*.kl.example.top" }, syntax, native);
        Assert.Equal(new[] { new HostRoute("Host(`kl.example.top`)", 30000), new HostRoute(wildcardRule, 20014) }, routes);
    }

    [Fact]
    public void V3TakesOneValuePerMatcherAndV2GroupsThem()
    {
        string[] names = { "a.example", "b.example" };
        Assert.Equal("HostSNI(`a.example`) || HostSNI(`b.example`)", Assert.Single(HostRuleWriter.SniRoutes(names, RuleSyntax.V3, false)).Rule);
        Assert.Equal("HostSNI(`a.example`, `b.example`)", Assert.Single(HostRuleWriter.SniRoutes(names, RuleSyntax.V2, false)).Rule);
    }

    [Theory]
    [InlineData("Host(`a`)")]
    [InlineData("Host(\"a\") && !PathPrefix(`/x`)")]
    [InlineData("(Host(`a`) || Host(`b`)) && ClientIP(`10.0.0.0/8`)")]
    [InlineData("Host(`a`, `b`,)")]
    [InlineData("  HostSNI( `*` )  ")]
    [InlineData("Header(`X-A`, `1`) || Method(`GET`)")]
    public void ParsesWellFormedRules(string rule)
    {
        Assert.True(RuleParser.TryParse(rule, out RuleExpression? expression, out RuleParseError? error), error?.ToString());
        Assert.NotNull(expression);
    }

    [Theory]
    [InlineData("", 0, "expected a matcher name")]
    [InlineData("Host(`a`", 8, "expected ',' or ')'")]
    [InlineData("Host(`a) ", 5, "unterminated backtick")]
    [InlineData("Host('a')", 5, "single quotes")]
    [InlineData("Host(`a`) &&", 12, "expected a matcher name")]
    [InlineData("Host(`a`) Host(`b`)", 10, "after a complete expression")]
    [InlineData("(Host(`a`)", 10, "expected ')'")]
    [InlineData("Host `a`", 5, "expected '(' after Host")]
    [InlineData("Host(\"a\\qb\")", 7, "unsupported escape")]
    public void ReportsParseErrorsWithTheirPosition(string rule, int position, string message)
    {
        Assert.False(RuleParser.TryParse(rule, out RuleExpression? expression, out RuleParseError? error));
        Assert.Null(expression);
        Assert.Equal(position, error!.Position);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("HostSNI(`kl.example.top`) || HostSNIRegexp(`^[a-z0-9-]+\\.kl\\.example\\.top$`)", "kl.example.top,*.kl.example.top")]
    [InlineData("HostSNI(`kl.example.top`) || HostSNIRegexp(`^[^.]+\\.kl\\.example\\.top$`)", "kl.example.top,*.kl.example.top")]
    [InlineData("HostSNI(`KL.example.top`, `b.example`)", "kl.example.top,b.example")]
    [InlineData("HostSNIRegexp(`{sub:[a-z]+}.kl.example.top`)", "*.kl.example.top")]
    [InlineData("HostSNI(`*.kl.example.top`)", "*.kl.example.top")]
    [InlineData("HostSNIRegexp(`^.+\\.kl\\.example\\.top$`)", "**.kl.example.top")]
    [InlineData("HostSNIRegexp(`{sub:.+}.kl.example.top`)", "**.kl.example.top")]
    [InlineData("HostSNI(`kl.example.top`) || HostSNIRegexp(`^[a-z0-9-]+\\.kl\\.example\\.top$`) || HostSNIRegexp(`^.+\\.apps\\.kl\\.example\\.top$`)", "kl.example.top,*.kl.example.top,**.apps.kl.example.top")]
    public void ReadsHostNamesBackFromSniRules(string rule, string expected)
    {
        HostRuleReading reading = HostRuleReader.Read(rule, sni: true, declaredSyntax: null);
        Assert.Null(reading.Unrepresentable);
        Assert.Equal(expected.Split(','), reading.Hostnames);
    }

    [Theory]
    [InlineData("HostRegexp(`[a-z0-9-]+\\.kl\\.example\\.top`)", "not anchored")]
    [InlineData("HostRegexp(`^[a-z0-9-]+\\.kl.example\\.top$`)", "not escaped")]
    public void WarnsWhereAHandWrittenRegexpMeansSomethingElse(string rule, string warning)
    {
        HostRuleReading reading = HostRuleReader.Read(rule, sni: false, declaredSyntax: RuleSyntax.V3);
        Assert.Null(reading.Unrepresentable);
        Assert.Equal(new[] { "*.kl.example.top" }, reading.Hostnames);
        Assert.Contains(reading.Warnings, w => w.Contains(warning));
    }

    [Theory]
    [InlineData("Host(`a.example`) && PathPrefix(`/api`)", "&& or !")]
    [InlineData("HostSNI(`*`)", "matches every name")]
    [InlineData("HostSNI(`**.kl.example.top`)", "not a wildcard Traefik reads")]
    [InlineData("HostRegexp(`^(foo|bar)\\.example$`)", "not a wildcard")]
    [InlineData("ClientIP(`10.0.0.0/8`)", "not a host matcher")]
    [InlineData("Host(`a", "does not parse")]
    public void RefusesRulesThatAreNotAListOfNames(string rule, string reason)
    {
        HostRuleReading reading = HostRuleReader.Read(rule, sni: rule.Contains("SNI"), declaredSyntax: null);
        Assert.NotNull(reading.Unrepresentable);
        Assert.Contains(reason, reading.Unrepresentable);
    }

    [Fact]
    public void AndBindsTighterThanOrAndNotTighterThanAnd()
    {
        Assert.True(RuleParser.TryParse("Host(`a`) || !Host(`b`) && Host(`c`)", out RuleExpression? expression, out _));
        var or = Assert.IsType<OrExpression>(expression);
        Assert.Equal("a", Assert.IsType<MatcherCall>(or.Left).Arguments[0]);
        var and = Assert.IsType<AndExpression>(or.Right);
        Assert.Equal("b", Assert.IsType<MatcherCall>(Assert.IsType<NotExpression>(and.Left).Operand).Arguments[0]);
        Assert.Equal("c", Assert.IsType<MatcherCall>(and.Right).Arguments[0]);
    }

    [Fact]
    public void EscapesEveryGoRegexpMetacharacter()
    {
        Assert.Equal("a\\.b\\+c\\*d\\?e\\(f\\)g\\|h\\[i\\]j\\{k\\}l\\^m\\$n\\\\o", HostRuleWriter.EscapeGoRegexp("a.b+c*d?e(f)g|h[i]j{k}l^m$n\\o"));
    }
}

using System.Collections.Generic;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Rules;
using Xunit;

namespace ClusterExpose.Engine.Tests.Routing;

public sealed class RuleConverterTests
{
    [Theory]
    [InlineData("Host(`a.example`, `b.example`)", "Host(`a.example`) || Host(`b.example`)")]
    [InlineData("HostHeader(`a.example`)", "Host(`a.example`)")]
    [InlineData("Host(`a.example`, `b.example`) && PathPrefix(`/api`)", "(Host(`a.example`) || Host(`b.example`)) && PathPrefix(`/api`)")]
    [InlineData("HostRegexp(`{subdomain:[a-z0-9-]+}.kl.example.top`)", "HostRegexp(`^[a-z0-9-]+\\.kl\\.example\\.top$`)")]
    [InlineData("HostRegexp(`{subdomain}.kl.example.top`)", "HostRegexp(`^[^.]+\\.kl\\.example\\.top$`)")]
    [InlineData("HostRegexp(`{n:www|api}.example.top`)", "HostRegexp(`^(?:www|api)\\.example\\.top$`)")]
    [InlineData("HostSNI(`a.example`, `b.example`)", "HostSNI(`a.example`) || HostSNI(`b.example`)")]
    [InlineData("HostSNIRegexp(`{sub:[a-z]+}.example.top`)", "HostSNIRegexp(`^[a-z]+\\.example\\.top$`)")]
    [InlineData("Headers(`X-Env`, `prod`)", "Header(`X-Env`, `prod`)")]
    [InlineData("HeadersRegexp(`X-Env`, `^p`)", "HeaderRegexp(`X-Env`, `^p`)")]
    [InlineData("Query(`a=1`, `b=2`)", "Query(`a`, `1`) && Query(`b`, `2`)")]
    [InlineData("Query(`debug`)", "Query(`debug`)")]
    [InlineData("Path(`/users/{id:[0-9]+}`)", "PathRegexp(`^/users/[0-9]+$`)")]
    [InlineData("PathPrefix(`/users/{id}`)", "PathRegexp(`^/users/[^/]+`)")]
    [InlineData("Method(`GET`, `POST`)", "Method(`GET`) || Method(`POST`)")]
    [InlineData("ClientIP(`10.0.0.0/8`, `192.168.0.0/16`)", "ClientIP(`10.0.0.0/8`) || ClientIP(`192.168.0.0/16`)")]
    [InlineData("!Host(`a.example`, `b.example`)", "!(Host(`a.example`) || Host(`b.example`))")]
    [InlineData("Host(\"a.example\")", "Host(`a.example`)")]
    public void ConvertsV2ToV3(string v2, string v3)
    {
        Assert.Equal(v3, RuleConverter.Convert(v2, RuleSyntax.V2, RuleSyntax.V3, out IReadOnlyList<RuleDiagnostic> errors));
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("HostSNIRegexp(`^[a-z0-9-]+\\.kl\\.example\\.top$`)", "HostSNIRegexp(`{subdomain:[a-z0-9-]+}.kl.example.top`)")]
    [InlineData("Host(`a.example`) || Host(`b.example`)", "Host(`a.example`) || Host(`b.example`)")]
    [InlineData("Host(`a.example`) && Header(`X-Env`, `prod`)", "Host(`a.example`) && Headers(`X-Env`, `prod`)")]
    [InlineData("Query(`a`, `1`)", "Query(`a=1`)")]
    public void ConvertsV3ToV2WherePossible(string v3, string v2)
    {
        Assert.Equal(v2, RuleConverter.Convert(v3, RuleSyntax.V3, RuleSyntax.V2, out IReadOnlyList<RuleDiagnostic> errors));
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("PathRegexp(`^/x`)", RuleSyntax.V3, RuleSyntax.V2, RuleConverter.NotConvertibleCode)]
    [InlineData("HostSNI(`a`) && ALPN(`h2`)", RuleSyntax.V3, RuleSyntax.V2, RuleConverter.NotConvertibleCode)]
    [InlineData("HostRegexp(`^(www|api)\\.example\\.top$`)", RuleSyntax.V3, RuleSyntax.V2, RuleConverter.NotConvertibleCode)]
    [InlineData("Host(`a`", RuleSyntax.V2, RuleSyntax.V3, RuleDiagnosticCodes.RuleSyntaxError)]
    [InlineData("Host(`a`, `b`)", RuleSyntax.V3, RuleSyntax.V2, RuleDiagnosticCodes.MultipleValuesUnderV3)]
    [InlineData("HostRegexp(`{sub:[a-z]+.example`)", RuleSyntax.V2, RuleSyntax.V3, RuleDiagnosticCodes.InvalidTemplate)]
    public void RefusesWhatTheTargetCannotSayOrTheSourceDoesNotParse(string rule, RuleSyntax from, RuleSyntax to, string code)
    {
        Assert.Null(RuleConverter.Convert(rule, from, to, out IReadOnlyList<RuleDiagnostic> errors));
        Assert.Equal(code, Assert.Single(errors).Code);
    }

    [Theory]
    [InlineData("HostSNI(`a.example`, `b.example`) || HostSNIRegexp(`{sub:[a-z]+}.kl.example.top`)")]
    [InlineData("HostSNIRegexp(`{sub:[a-z0-9-]+}.kl.example.top`, `{sub:[a-z0-9-]+}.other.example`)")]
    public void AConvertedRuleMatchesTheSameNames(string v2)
    {
        string v3 = RuleConverter.Convert(v2, RuleSyntax.V2, RuleSyntax.V3, out _)!;
        CompiledRule before = RuleCompiler.Compile(v2, RuleSyntax.V2, RouterProtocol.Tcp, true, out _)!;
        CompiledRule after = RuleCompiler.Compile(v3, RuleSyntax.V3, RouterProtocol.Tcp, true, out _)!;
        string[] names = { "a.example", "b.example", "c.example", "x.kl.example.top", "x.y.kl.example.top", "kl.example.top", "x.other.example", "x1.kl.example.top" };
        foreach (string name in names)
        {
            Assert.Equal(before.Evaluate(new RouteQuery(name)), after.Evaluate(new RouteQuery(name)));
        }
    }

    [Theory]
    [InlineData("Host(`a`) || Host(`b`) && !Path(`/x`)")]
    [InlineData("(Host(`a`) || Host(`b`)) && !(Path(`/x`) || Path(`/y`))")]
    [InlineData("HostSNI(\"has`backtick\")")]
    [InlineData("Header(`X-A`, `1`)")]
    public void WritingAParsedRuleGivesTheSameRuleBack(string rule)
    {
        Assert.True(RuleParser.TryParse(rule, out RuleExpression? first, out _));
        string written = RuleWriter.Write(first!);
        Assert.Equal(rule, written);
        Assert.True(RuleParser.TryParse(written, out RuleExpression? second, out _));
        Assert.Equal(written, RuleWriter.Write(second!));
    }
}

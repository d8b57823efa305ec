using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Routing;
using Xunit;

namespace ClusterExpose.Engine.Tests.Routing;

public sealed class LintTests
{
    private const string Http = "default/k65-http http none web service=k65 port=80 :: Host(`kl.example.top`) || HostRegexp(`^[a-z0-9-]+\\.kl\\.example\\.top$`)";
    private const string Passthrough = "default/k65-https tcp passthrough websecure service=k65 port=443 :: HostSNI(`kl.example.top`) || HostSNIRegexp(`^[a-z0-9-]+\\.kl\\.example\\.top$`)";

    private static IReadOnlyList<RouteLintFinding> Lint(params string[] routes) =>
        RouteLinter.Lint(RouteTable.Build(routes.Select(r => RoutingCaseTests.Router(r))));

    [Fact]
    public void TheScenarioAsWrittenByHandIsClean()
    {
        Assert.Empty(Lint(Http, Passthrough));
    }

    [Theory]
    [InlineData("HostSNIRegexp(`[a-z0-9-]+\\.kl\\.example\\.top`)", LintCodes.UnanchoredRegexp, LintSeverity.Warning)]
    [InlineData("HostSNIRegexp(`^[a-z0-9-]+\\.kl\\.example\\.top`)", LintCodes.UnanchoredRegexp, LintSeverity.Warning)]
    [InlineData("HostSNIRegexp(`^[a-z0-9-]+.kl\\.example\\.top$`)", LintCodes.UnescapedDot, LintSeverity.Warning)]
    [InlineData("HostSNIRegexp(`{subdomain:[a-z0-9-]+}.kl.example.top`)", LintCodes.V2TemplateUnderV3, LintSeverity.Error)]
    [InlineData("HostSNI(`kl.example.top`, `a.kl.example.top`)", RuleDiagnosticCodes.MultipleValuesUnderV3, LintSeverity.Error)]
    [InlineData("HostSNI(`bücher.example`)", RuleDiagnosticCodes.NonAsciiHostname, LintSeverity.Error)]
    public void FindsRuleMistakesUnderV3(string rule, string code, LintSeverity severity)
    {
        IReadOnlyList<RouteLintFinding> findings = Lint(Http, "default/k65-https tcp passthrough websecure :: " + rule);
        RouteLintFinding finding = Assert.Single(findings, f => f.Code == code);
        Assert.Equal(severity, finding.Severity);
        Assert.Equal("default/k65-https", finding.Router);
        Assert.False(string.IsNullOrWhiteSpace(finding.Fix));
        Assert.Equal("decision-cases.txt", finding.Source);
    }

    [Theory]
    [InlineData("v3", "Host(`**.kl.example.top`)", "HostRegexp(`^.+\\.kl\\.example\\.top$`)")]
    [InlineData("v2", "Host(`*.kl.example.top`)", "HostRegexp(`{subdomain:[a-z0-9-]+}.kl.example.top`)")]
    [InlineData("v2", "HostHeader(`**.kl.example.top`)", "HostRegexp(`{subdomain:[a-z0-9-]+}.kl.example.top`)")]
    public void AHostValueThatMatchesNoNameIsFlagged(string syntax, string rule, string fix)
    {
        string route = $"default/k65-http http none web{(syntax == "v2" ? " syntax=v2" : string.Empty)} :: {rule}";
        RouteLintFinding finding = Assert.Single(Lint(route), f => f.Code == LintCodes.HostNeverMatches);
        Assert.Equal(LintSeverity.Error, finding.Severity);
        Assert.Contains(fix, finding.Fix);
    }

    [Fact]
    public void AOneLabelWildcardUnderV3IsNotFlagged()
    {
        Assert.DoesNotContain(Lint("default/k65-http http none web :: Host(`*.kl.example.top`)"), f => f.Code == LintCodes.HostNeverMatches);
    }

    [Fact]
    public void AnEscapedOrQuantifiedDotIsNotFlagged()
    {
        Assert.DoesNotContain(
            Lint(Http, "default/k65-https tcp passthrough websecure service=k65 port=443 :: HostSNIRegexp(`^.+\\.kl\\.example\\.top$`) || HostSNI(`kl.example.top`)"),
            f => f.Code is LintCodes.UnescapedDot or LintCodes.UnanchoredRegexp);
    }

    [Fact]
    public void AnSniRouteThatTerminatesTlsInFrontOfATlsPortIsFlagged()
    {
        IReadOnlyList<RouteLintFinding> findings = Lint(Http, "default/k65-https tcp tls websecure service=k65 port=443 :: HostSNI(`kl.example.top`)");
        Assert.Equal(LintSeverity.Warning, Assert.Single(findings, f => f.Code == LintCodes.SniRouteTerminatesTls).Severity);
    }

    [Fact]
    public void APassthroughNameWithoutAnHttpRouteCannotPassAcmeChallenges()
    {
        RouteLintFinding finding = Assert.Single(Lint(Passthrough), f => f.Code == LintCodes.PassthroughWithoutHttpRoute);
        Assert.Contains("kl.example.top", finding.Message);
        Assert.Contains("sample.kl.example.top", finding.Message);

        // An HTTP route for the bare name only leaves the subdomains unreachable.
        RouteLintFinding partial = Assert.Single(Lint(Passthrough, "default/k65-http http none web :: Host(`kl.example.top`)"), f => f.Code == LintCodes.PassthroughWithoutHttpRoute);
        Assert.StartsWith("No HTTP router takes sample.kl.example.top in clear", partial.Message);
    }

    [Fact]
    public void AnHttpRouteLimitedToTheChallengePathIsEnough()
    {
        Assert.DoesNotContain(
            Lint("default/k65-https tcp passthrough websecure :: HostSNI(`kl.example.top`)", "default/acme http none web :: Host(`kl.example.top`) && PathPrefix(`/.well-known/acme-challenge/`)"),
            f => f.Code == LintCodes.PassthroughWithoutHttpRoute);
    }

    [Fact]
    public void TwoRoutersClaimingOneNameWithEqualPriorityAreFlagged()
    {
        RouteLintFinding finding = Assert.Single(
            Lint(Http, Passthrough, "other/copy tcp passthrough websecure service=other :: HostSNI(`kl.example.top`) || HostSNIRegexp(`^[a-z0-9-]+\\.kl\\.example\\.top$`)"),
            f => f.Code == LintCodes.EqualPriority);
        Assert.Contains("other/copy", finding.Message + finding.Router);
        Assert.Contains("default/k65-https", finding.Message + finding.Router);
    }

    [Fact]
    public void AnHttpsRouterNamingAPassthroughHostIsFlagged()
    {
        RouteLintFinding finding = Assert.Single(Lint(Http, Passthrough, "apps/site http tls websecure :: Host(`kl.example.top`)"), f => f.Code == LintCodes.HttpsShadowsPassthrough);
        Assert.Equal("apps/site", finding.Router);
        Assert.Contains("default/k65-https", finding.Message);
    }

    [Fact]
    public void AnHttpsRouterWithoutHostShadowsTheTcpCatchAll()
    {
        RouteLintFinding finding = Assert.Single(
            Lint("apps/any http tls websecure :: PathPrefix(`/`)", "default/all tcp passthrough websecure :: HostSNI(`*`)"),
            f => f.Code == LintCodes.HttpsCatchAllShadowsTcpCatchAll);
        Assert.Equal("apps/any", finding.Router);
    }

    [Fact]
    public void ALongRegexpRuleOutrankingAnExactRuleIsFlagged()
    {
        RouteLintFinding finding = Assert.Single(
            Lint(Http,
                "default/exact tcp passthrough websecure service=a :: HostSNI(`kl.example.top`)",
                "default/regexp tcp passthrough websecure service=b :: HostSNIRegexp(`^([a-z0-9-]+\\.)?kl\\.example\\.top$`)"),
            f => f.Code == LintCodes.LongRuleOutranksExactRule);
        Assert.Equal("default/regexp", finding.Router);
        Assert.Contains("default/exact", finding.Fix);

        // An explicit priority says the user chose: nothing to report.
        Assert.DoesNotContain(
            Lint(Http,
                "default/exact tcp passthrough websecure priority=100 :: HostSNI(`kl.example.top`)",
                "default/regexp tcp passthrough websecure :: HostSNIRegexp(`^([a-z0-9-]+\\.)?kl\\.example\\.top$`)"),
            f => f.Code == LintCodes.LongRuleOutranksExactRule);
    }

    [Fact]
    public void AWildcardBackendCoveringAnotherBackendsNameIsFlagged()
    {
        RouteLintFinding finding = Assert.Single(
            Lint("default/http http none web :: HostRegexp(`^.+$`)",
                "default/wild tcp passthrough websecure service=home port=443 :: HostSNI(`*.kl.example.top`)",
                "default/app tcp passthrough websecure service=nas port=443 :: HostSNI(`app.kl.example.top`)"),
            f => f.Code == LintCodes.SharedWildcardCertificate);
        Assert.Equal("default/wild", finding.Router);
        Assert.Contains("app.kl.example.top", finding.Message);

        // The same backend behind both routers: no wrong backend to reach.
        Assert.DoesNotContain(
            Lint("default/http http none web :: HostRegexp(`^.+$`)",
                "default/wild tcp passthrough websecure service=home port=443 :: HostSNI(`*.kl.example.top`)",
                "default/app tcp passthrough websecure service=home port=443 :: HostSNI(`app.kl.example.top`)"),
            f => f.Code == LintCodes.SharedWildcardCertificate);
    }
}

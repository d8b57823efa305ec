using System.Collections.Generic;
using System.Management.Automation;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Rules;

namespace ClusterExpose.Commands;

/// <summary>Rewrites a Traefik rule between the v2 and v3 syntaxes.</summary>
[Cmdlet(VerbsData.Convert, "TraefikRule")]
[OutputType(typeof(string))]
public sealed class ConvertTraefikRuleCommand : ClusterExposeCmdlet
{

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Match")]
    [AllowNull]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string?[]? Rule { get; set; } = System.Array.Empty<string>();

    [Parameter]
    [TraefikVersionTransformation]
    public TraefikVersion From { get; set; } = TraefikVersion.V2;

    [Parameter]
    [TraefikVersionTransformation]
    public TraefikVersion To { get; set; } = TraefikVersion.V3;

    protected override void ProcessRecord()
    {
        foreach (string? given in Rule ?? new string?[] { null })
        {
            if (string.IsNullOrWhiteSpace(given))
            {
                WriteError(new ErrorRecord(new PSArgumentException("An empty rule (or $null) came in; give a Traefik rule such as Host(`example.com`)."),
                    ErrorIds.InvalidRule, ErrorCategory.InvalidArgument, given));
                continue;
            }

            string rule = given;
            string? converted = RuleConverter.Convert(rule, Syntax(From), Syntax(To), out IReadOnlyList<RuleDiagnostic> errors);
            if (converted is not null)
            {
                WriteObject(converted);
                continue;
            }

            foreach (RuleDiagnostic error in errors)
            {
                var record = new ErrorRecord(
                    new PSArgumentException(error.Code == RuleConverter.NotConvertibleCode
                        ? $"The {From} rule '{rule}' cannot be written in {To} syntax: {error}."
                        : $"'{rule}' is not a valid {From} rule: {error}."),
                    error.Code == RuleConverter.NotConvertibleCode ? ErrorIds.RuleNotConvertible : ErrorIds.InvalidRule,
                    ErrorCategory.InvalidArgument,
                    rule);
                WriteError(record);
            }
        }
    }

    private static RuleSyntax Syntax(TraefikVersion version) => version == TraefikVersion.V2 ? RuleSyntax.V2 : RuleSyntax.V3;
}

using System.Collections.Generic;
using System.Management.Automation;
using ClusterExpose.Engine.Manifests;

namespace ClusterExpose.Commands;

/// <summary>Renders exposures as multi-document YAML for the cloud cluster, or what the private cluster needs to accept them.</summary>
[Cmdlet(VerbsData.ConvertTo, "ExposeManifest")]
[OutputType(typeof(string))]
public sealed class ConvertToExposeManifestCommand : ManifestRenderingCmdlet
{
    /// <summary>Cloud: the routes and Services that forward. Private: the private Traefik's trusted forwarders and PROXY protocol.</summary>
    [Parameter]
    public ManifestSide Side { get; set; } = ManifestSide.Cloud;

    /// <summary>With -Side Private: the addresses (or CIDR networks) the forwarded connections arrive from.</summary>
    [Parameter]
    public string[] TrustedAddress { get; set; } = System.Array.Empty<string>();

    protected override void EndProcessing()
    {
        string? yaml = Side == ManifestSide.Private ? RenderPrivateSide() : Render();
        if (yaml is not null)
        {
            WriteObject(yaml);
        }
    }

    private string? RenderPrivateSide()
    {
        if (InputRejected)
        {
            return null;
        }

        if (Resources.Count == 0)
        {
            ReportNoInput("render");
            return null;
        }

        string? yaml = PrivateSideBuilder.BuildYaml(Resources, TrustedAddress, out IReadOnlyList<ExposeProblem> errors, out IReadOnlyList<string> warnings);
        WriteErrors(errors);
        foreach (string warning in warnings)
        {
            WriteWarning(warning);
        }

        return yaml;
    }
}

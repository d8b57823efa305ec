using System.Management.Automation;

namespace ClusterExpose.Commands;

/// <summary>Renders exposures as multi-document YAML for the cloud cluster.</summary>
[Cmdlet(VerbsData.ConvertTo, "ExposeManifest")]
[OutputType(typeof(string))]
public sealed class ConvertToExposeManifestCommand : ManifestRenderingCmdlet
{
    protected override void EndProcessing()
    {
        string? yaml = Render();
        if (yaml is not null)
        {
            WriteObject(yaml);
        }
    }
}

using System.Collections.Generic;
using System.Management.Automation;
using ClusterExpose.Engine.Manifests;

namespace ClusterExpose.Commands;

/// <summary>The rendering options shared by ConvertTo-ExposeManifest and Export-ExposeManifest.</summary>
public abstract class ManifestRenderingCmdlet : ClusterExposeCmdlet
{
    private protected readonly List<IExposeResource> Resources = new();
    private protected bool InputRejected;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public object?[]? InputObject { get; set; } = System.Array.Empty<object>();

    /// <summary>Traefik 3.7+: write Host(`*.domain`) instead of a regexp for wildcards.</summary>
    [Parameter]
    public SwitchParameter NativeWildcard { get; set; }

    /// <summary>Traefik v2 before 2.10: use the traefik.containo.us API group.</summary>
    [Parameter]
    public SwitchParameter LegacyApiGroup { get; set; }

    /// <summary>Also write the deprecated v1 Endpoints object.</summary>
    [Parameter]
    public SwitchParameter LegacyEndpoints { get; set; }

    [Parameter]
    public string GatewayName { get; set; } = "traefik-gateway";

    [Parameter]
    public string? GatewayNamespace { get; set; }

    [Parameter]
    [ValidateSet("v1", "v1alpha2")]
    public string GatewayRouteVersion { get; set; } = "v1";

    protected override void ProcessRecord()
    {
        InputRejected |= !CollectInput(InputObject, Resources);
    }

    /// <summary>Renders everything received, or writes every error and returns null.</summary>
    private protected string? Render()
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

        var options = new ManifestOptions
        {
            NativeWildcards = NativeWildcard.IsPresent,
            LegacyTraefikApiGroup = LegacyApiGroup.IsPresent,
            LegacyEndpoints = LegacyEndpoints.IsPresent,
            GatewayName = GatewayName,
            GatewayNamespace = GatewayNamespace,
            GatewayRouteVersion = GatewayRouteVersion == "v1alpha2" ? Engine.Manifests.GatewayRouteVersion.V1Alpha2 : Engine.Manifests.GatewayRouteVersion.V1,
        };
        string yaml = ManifestBuilder.BuildYaml(Resources, options, out IReadOnlyList<ExposeProblem> errors);
        WriteErrors(errors);
        return errors.Count == 0 ? yaml : null;
    }
}

using System.Collections.Generic;
using System.Management.Automation;
using ClusterExpose.Commands.Completion;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Commands;

/// <summary>
/// Renders Start-SniProxy as a DaemonSet with host ports and a ConfigMap of routes, for cloud
/// clusters that forward without Traefik; scale it with Kubernetes itself.
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "SniProxyManifest")]
[OutputType(typeof(string))]
public sealed class ConvertToSniProxyManifestCommand : ClusterExposeCmdlet
{
    private readonly List<IExposeResource> resources = new();
    private bool inputRejected;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public object?[]? InputObject { get; set; } = System.Array.Empty<object>();

    [Parameter]
    [ArgumentCompleter(typeof(NewNameCompleter))]
    public string Name { get; set; } = "clusterexpose-sniproxy";

    [Parameter]
    public string Namespace { get; set; } = "clusterexpose";

    [Parameter]
    public string Image { get; set; } = "mcr.microsoft.com/powershell:7.4-debian-bookworm-slim";

    /// <summary>The module image the DaemonSet's init container copies ClusterExpose from (build.ps1 Image builds it).</summary>
    [Parameter]
    public string? ModuleImage { get; set; }

    /// <summary>With -As SystemdUnit: import the module from this folder or manifest instead of by name from PSModulePath.</summary>
    [Parameter]
    public string? ModulePath { get; set; }

    /// <summary>What to render: the DaemonSet (with its routes ConfigMap), a systemd unit, or the routes file alone.</summary>
    [Parameter]
    public SniProxyRendering As { get; set; } = SniProxyRendering.DaemonSet;

    /// <summary>With -As SystemdUnit: the pwsh the service runs.</summary>
    [Parameter]
    public string PwshPath { get; set; } = "/usr/bin/pwsh";

    /// <summary>With -As SystemdUnit: where the service reads its routes file.</summary>
    [Parameter]
    public string RoutesPath { get; set; } = "/etc/clusterexpose/routes.yaml";

    /// <summary>How long open connections may finish when a pod or the service is stopped; the grace period is derived from it.</summary>
    [Parameter]
    [ValidateRange(0, 3600)]
    public int DrainTimeoutSec { get; set; } = 30;

    protected override void ProcessRecord()
    {
        inputRejected |= !CollectInput(InputObject, resources);
    }

    protected override void EndProcessing()
    {
        if (inputRejected)
        {
            return;
        }

        IReadOnlyList<ExposeProblem> errors;
        string? text;
        switch (As)
        {
            case SniProxyRendering.SystemdUnit:
                text = SystemdUnitBuilder.Build(resources, new SystemdUnitOptions { PwshPath = PwshPath, RoutesPath = RoutesPath, ModulePath = ModulePath, DrainTimeoutSec = DrainTimeoutSec }, out errors);
                break;
            case SniProxyRendering.RoutesFile:
                text = SniProxyDeploymentBuilder.RoutesFile(resources, out errors);
                break;
            default:
                var options = new SniProxyDeploymentOptions
                {
                    Name = Name,
                    Namespace = Namespace,
                    Image = Image,
                    DrainTimeoutSec = DrainTimeoutSec,
                    ModuleImage = ModuleImage ?? SniProxyDeploymentOptions.DefaultModuleImage,
                };
                IReadOnlyList<YDocument> documents = SniProxyDeploymentBuilder.Build(resources, options, out errors);
                text = YamlText.Write(documents);
                break;
        }

        WriteErrors(errors);
        if (errors.Count == 0 && text is not null)
        {
            WriteObject(text);
        }
    }
}

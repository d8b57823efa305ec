using System;
using System.Collections.Generic;
using System.Management.Automation;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Proxy;

namespace ClusterExpose.Commands;

/// <summary>What Start-SniProxy and Update-SniProxy share: routes from the pipeline and from manifest files.</summary>
public abstract class SniProxyRoutesCmdlet : ClusterExposeCmdlet
{
    private protected readonly List<IExposeResource> Resources = new();
    private protected bool InputRejected;

    [Parameter(ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public object?[]? InputObject { get; set; }

    /// <summary>ClusterExpose manifests (as Export-ExposeManifest writes them) holding the routes.</summary>
    [Parameter]
    [SupportsWildcards]
    public string[] Path { get; set; } = Array.Empty<string>();

    private protected List<string> RouteFiles { get; } = new();

    protected override void BeginProcessing()
    {
        foreach (string file in ResolveManifestFiles(Path, literal: false))
        {
            RouteFiles.Add(file);
            string? text = ReadManifestFile(file);
            if (text is null)
            {
                InputRejected = true;
                continue;
            }

            ImportResult imported = SniProxyHost.ReadRoutesText(text, file);
            foreach (string warning in imported.Warnings)
            {
                WriteWarning(warning);
            }

            WriteErrors(imported.Errors);
            InputRejected |= imported.Errors.Count > 0;
            Resources.AddRange(imported.Resources);
        }

        InputRejected |= Path.Length > 0 && RouteFiles.Count == 0;
    }

    protected override void ProcessRecord()
    {
        InputRejected |= !CollectInput(InputObject, Resources);
    }
}

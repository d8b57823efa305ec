using System;
using System.Collections.Generic;
using System.Management.Automation;
using ClusterExpose.Engine.Proxy;

namespace ClusterExpose.Commands;

/// <summary>What Start-SniProxy and Update-SniProxy share: routes from the pipeline and from manifest files.</summary>
public abstract class SniProxyRoutesCmdlet : ClusterExposeCmdlet
{
    private protected readonly List<IExposeResource> Resources = new();
    private readonly ProxyRouteSource fileRoutes = new();
    private protected bool InputRejected;

    [Parameter(ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public object?[]? InputObject { get; set; }

    /// <summary>
    /// Manifests holding the routes: IngressRoute and IngressRouteTCP objects (ClusterExpose's or
    /// hand-written, served as written) with the Services and EndpointSlices they name.
    /// </summary>
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

            ProxyRouteSource read = ProxyRouteSource.ReadText(text, file);
            foreach (string warning in read.Warnings)
            {
                WriteWarning(warning);
            }

            WriteErrors(read.Errors);
            InputRejected |= read.Errors.Count > 0;
            fileRoutes.Add(read);
        }

        InputRejected |= Path.Length > 0 && RouteFiles.Count == 0;
    }

    protected override void ProcessRecord()
    {
        InputRejected |= !CollectInput(InputObject, Resources);
    }

    /// <summary>Everything to serve: the pipeline's objects and the routes files, read as written.</summary>
    private protected ProxyRouteSource RouteSource()
    {
        var source = new ProxyRouteSource(Resources);
        source.Add(fileRoutes);
        return source;
    }
}

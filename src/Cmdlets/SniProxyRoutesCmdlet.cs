using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using ClusterExpose.Commands.Completion;
using ClusterExpose.Engine.Cluster;
using ClusterExpose.Engine.Routing;

namespace ClusterExpose.Commands;

/// <summary>What Start-SniProxy and Update-SniProxy share: routes from the pipeline and from manifest files.</summary>
public abstract class SniProxyRoutesCmdlet : ClusterExposeCmdlet
{
    private protected readonly List<IExposeResource> Resources = new();
    private readonly RouteSource fileRoutes = new();
    private RouteSource? otherRoutes;
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

    /// <summary>Also serve every IngressRoute and IngressRouteTCP of the cluster (implied by -Context and -KubeConfig), joined to the Services they name.</summary>
    [Parameter]
    public SwitchParameter Cluster { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(KubeContextCompleter))]
    public string? Context { get; set; }

    [Parameter]
    public string? KubeConfig { get; set; }

    private protected List<string> RouteFiles { get; } = new();

    private protected CancellationTokenSource Cancellation { get; } = new();

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

            // Problems are said once, when the routes are loaded for serving.
            fileRoutes.Add(Engine.Routing.RouteSource.FromText(text, file));
        }

        InputRejected |= Path.Length > 0 && RouteFiles.Count == 0;
    }

    protected override void ProcessRecord()
    {
        InputRejected |= !CollectInput(InputObject, Resources);
    }

    protected override void StopProcessing() => Cancellation.Cancel();

    /// <summary>Everything to serve: the pipeline's objects, the routes files and the cluster's routes, read as written.</summary>
    private protected RouteSource RouteSource()
    {
        var source = new RouteSource();
        source.Add(OtherRoutes());
        source.Add(fileRoutes);
        return source;
    }

    /// <summary>The routes not read from -Path: the pipeline's objects and the cluster's routes, read once; a watched file's reload keeps them.</summary>
    private protected RouteSource OtherRoutes()
    {
        if (otherRoutes is null)
        {
            otherRoutes = new RouteSource(Resources);
            if (Cluster.IsPresent || Context is not null || KubeConfig is not null)
            {
                using ClusterSession session = OpenSession(KubeConfig, Context, null, Cancellation.Token);
                ClusterRouteApis apis = Required(session, () => ClusterDiscovery.Discover(session));
                otherRoutes.Add(Required(session, () => ClusterRoutes.Read(session, apis, withBackends: true)));
                ShowWarnings(session);
            }
        }

        return otherRoutes;
    }
}

using System.Management.Automation;
using ClusterExpose.Commands.Completion;
using ClusterExpose.Engine.Cluster;

namespace ClusterExpose.Commands;

/// <summary>What every cmdlet that works on a cluster shares: where to connect.</summary>
public abstract class ClusterCmdlet : ClusterExposeCmdlet
{
    /// <summary>A context of the kubeconfig; the current context when not given.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(KubeContextCompleter))]
    public string? Context { get; set; }

    /// <summary>A kubeconfig file; KUBECONFIG, then ~/.kube/config, then the pod's service account when not given.</summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    /// <summary>The namespace; the context's namespace, else default, when not given.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(KubeNamespaceCompleter))]
    public string? Namespace { get; set; }

    private readonly System.Threading.CancellationTokenSource stopping = new();

    /// <summary>Opens a session whose requests end on Ctrl+C; a configuration that cannot be used stops the command.</summary>
    private protected ClusterSession OpenSession() => OpenSession(KubeConfig, Context, Namespace, stopping.Token);

    protected override void StopProcessing() => stopping.Cancel();
}

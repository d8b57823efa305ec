using System;
using System.Management.Automation;
using ClusterExpose.Engine.Proxy;

using ClusterExpose.Commands.Completion;

namespace ClusterExpose.Commands;

/// <summary>Stops SNI proxies: no new connections, the open ones drain until the deadline, then are reset.</summary>
[Cmdlet(VerbsLifecycle.Stop, "SniProxy", SupportsShouldProcess = true)]
[OutputType(typeof(SniProxyInfo))]
public sealed class StopSniProxyCommand : ClusterExposeCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SniProxyIdCompleter))]
    public int[] Id { get; set; } = Array.Empty<int>();

    [Parameter]
    [ValidateRange(0, 3600)]
    public double DrainTimeoutSec { get; set; } = 30;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (int id in Id)
        {
            try
            {
                SniProxyInfo current = SniProxyHost.Describe(id);
                if (!ShouldProcess($"SNI proxy {id} ({current.ActiveConnections} open connections, drain {DrainTimeoutSec} s)", "Stop"))
                {
                    continue;
                }

                SniProxyInfo stopped = SniProxyHost.Stop(id, TimeSpan.FromSeconds(DrainTimeoutSec));
                if (PassThru.IsPresent)
                {
                    WriteObject(stopped);
                }
            }
            catch (ClusterExposeException exception)
            {
                WriteError(ToErrorRecord(exception));
            }
        }
    }
}

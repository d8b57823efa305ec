using System.Management.Automation;
using ClusterExpose.Engine.Proxy;

using ClusterExpose.Commands.Completion;

namespace ClusterExpose.Commands;

/// <summary>Lists the SNI proxies running in this session, with their counters.</summary>
[Cmdlet(VerbsCommon.Get, "SniProxy")]
[OutputType(typeof(SniProxyInfo))]
public sealed class GetSniProxyCommand : ClusterExposeCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(SniProxyIdCompleter))]
    public int[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        if (Id is null)
        {
            WriteObject(SniProxyHost.List(), enumerateCollection: true);
            return;
        }

        foreach (int id in Id)
        {
            try
            {
                WriteObject(SniProxyHost.Describe(id));
            }
            catch (ClusterExposeException exception)
            {
                WriteError(ToErrorRecord(exception));
            }
        }
    }
}

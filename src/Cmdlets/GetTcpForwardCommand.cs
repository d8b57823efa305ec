using System.Management.Automation;

namespace ClusterExpose.Commands;

/// <summary>Reads the TCP forwards ClusterExpose published to a cluster back as TcpForward objects.</summary>
[Cmdlet(VerbsCommon.Get, "TcpForward")]
[OutputType(typeof(TcpForward))]
public sealed class GetTcpForwardCommand : ClusterExposureReader<TcpForward>
{
    private protected override string Noun => "TcpForward";
}

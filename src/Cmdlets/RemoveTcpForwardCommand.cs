using System;
using System.Management.Automation;

namespace ClusterExpose.Commands;

/// <summary>Deletes the objects ClusterExpose made in a cluster for TCP forwards, and nothing else.</summary>
[Cmdlet(VerbsCommon.Remove, "TcpForward", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = NameParameterSet)]
[OutputType(typeof(TcpForward))]
public sealed class RemoveTcpForwardCommand : ClusterExposureRemover<TcpForward>
{
    /// <summary>Exposed hosts as Get-TcpForward returns them; each is removed from its own namespace.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectParameterSet)]
    [AllowNull]
    [AllowEmptyCollection]
    public TcpForward[]? InputObject { get; set; } = Array.Empty<TcpForward>();

    private protected override string Noun => "TcpForward";

    private protected override TcpForward[]? Objects => InputObject;
}

using System;
using System.Management.Automation;

namespace ClusterExpose.Commands;

/// <summary>Deletes the objects ClusterExpose made in a cluster for exposed hosts, and nothing else.</summary>
[Cmdlet(VerbsCommon.Remove, "ExposedHost", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = NameParameterSet)]
[OutputType(typeof(ExposedHost))]
public sealed class RemoveExposedHostCommand : ClusterExposureRemover<ExposedHost>
{
    /// <summary>Exposed hosts as Get-ExposedHost returns them; each is removed from its own namespace.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ObjectParameterSet)]
    [AllowNull]
    [AllowEmptyCollection]
    public ExposedHost[]? InputObject { get; set; } = Array.Empty<ExposedHost>();

    private protected override string Noun => "ExposedHost";

    private protected override ExposedHost[]? Objects => InputObject;
}

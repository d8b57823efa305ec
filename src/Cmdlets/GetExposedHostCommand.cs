using System.Management.Automation;

namespace ClusterExpose.Commands;

/// <summary>Reads the exposed hosts ClusterExpose published to a cluster back as ExposedHost objects.</summary>
[Cmdlet(VerbsCommon.Get, "ExposedHost")]
[OutputType(typeof(ExposedHost))]
public sealed class GetExposedHostCommand : ClusterExposureReader<ExposedHost>
{
    private protected override string Noun => "ExposedHost";
}

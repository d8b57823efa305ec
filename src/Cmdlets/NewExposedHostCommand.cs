using System.Linq;
using System.Management.Automation;
using ClusterExpose.Commands.Completion;
using ClusterExpose.Engine;

namespace ClusterExpose.Commands;

/// <summary>Creates an ExposedHost: names of the private cluster to publish through the cloud cluster.</summary>
[Cmdlet(VerbsCommon.New, "ExposedHost")]
[OutputType(typeof(ExposedHost))]
public sealed class NewExposedHostCommand : ClusterExposeCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(NewNameCompleter))]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1)]
    [ArgumentCompleter(typeof(NewNameCompleter))]
    public string[] Hostname { get; set; } = System.Array.Empty<string>();

    [Parameter(Mandatory = true, Position = 2)]
    public string[] TargetAddress { get; set; } = System.Array.Empty<string>();

    /// <summary>Also every name one label under each name (<c>*.name</c>), as Traefik's native wildcard.</summary>
    [Parameter]
    public SwitchParameter IncludeSubdomains { get; set; }

    /// <summary>Also every name under each name, at any depth (<c>**.name</c>).</summary>
    [Parameter]
    public SwitchParameter IncludeAllSubdomains { get; set; }

    [Parameter]
    public string Namespace { get; set; } = ExposedHost.DefaultNamespace;

    [Parameter]
    public int HttpPort { get; set; } = ExposedHost.DefaultHttpPort;

    [Parameter]
    public int HttpsPort { get; set; } = ExposedHost.DefaultHttpsPort;

    [Parameter]
    public int TargetHttpPort { get; set; } = ExposedHost.DefaultHttpPort;

    [Parameter]
    public int TargetHttpsPort { get; set; } = ExposedHost.DefaultHttpsPort;

    [Parameter]
    public string HttpEntryPoint { get; set; } = ExposedHost.DefaultHttpEntryPoint;

    [Parameter]
    public string HttpsEntryPoint { get; set; } = ExposedHost.DefaultHttpsEntryPoint;

    [Parameter]
    public ProxyProtocolVersion ProxyProtocol { get; set; }

    [Parameter]
    public ExposeFlavor Flavor { get; set; }

    protected override void ProcessRecord()
    {
        Validated<ExposedHost> created = ExposeFactory.CreateHost(
            Name, Hostname, IncludeSubdomains.IsPresent, TargetAddress, Namespace,
            HttpPort, HttpsPort, TargetHttpPort, TargetHttpsPort, HttpEntryPoint, HttpsEntryPoint, ProxyProtocol, Flavor, IncludeAllSubdomains.IsPresent);
        WriteErrors(created.Errors);
        foreach (string warning in created.Warnings)
        {
            WriteWarning(warning);
        }

        if (created.Value is not null)
        {
            foreach (string advice in created.Value.Hostname.SelectMany(Engine.Validation.HostnameAdvice.For))
            {
                WriteWarning(advice);
            }

            WriteObject(created.Value);
        }
    }
}

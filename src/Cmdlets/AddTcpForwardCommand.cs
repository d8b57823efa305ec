using System.Collections.Generic;
using System.Management.Automation;
using ClusterExpose.Commands.Completion;
using ClusterExpose.Engine;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Commands;

/// <summary>
/// Creates a TcpForward. With exposures on the pipeline it passes them on with the forward added,
/// after checking that the set stays consistent (no public port claimed twice).
/// </summary>
[Cmdlet(VerbsCommon.Add, "TcpForward")]
[OutputType(typeof(TcpForward), typeof(ExposedHost))]
public sealed class AddTcpForwardCommand : ClusterExposeCmdlet
{
    private readonly List<IExposeResource> received = new();

    [Parameter(Mandatory = true, Position = 0)]
    [ArgumentCompleter(typeof(NewNameCompleter))]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1)]
    public int Port { get; set; }

    [Parameter(Mandatory = true, Position = 2)]
    public string[] TargetAddress { get; set; } = System.Array.Empty<string>();

    /// <summary>Defaults to <see cref="Port"/>.</summary>
    [Parameter]
    public int TargetPort { get; set; }

    [Parameter]
    public TcpForwardMode Mode { get; set; }

    /// <summary>Defaults to <see cref="Name"/>.</summary>
    [Parameter]
    public string? EntryPoint { get; set; }

    [Parameter]
    public string Namespace { get; set; } = ExposedHost.DefaultNamespace;

    [Parameter]
    public ProxyProtocolVersion ProxyProtocol { get; set; }

    [Parameter]
    public ExposeFlavor Flavor { get; set; }

    private bool inputRejected;

    [Parameter(ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public object?[]? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        inputRejected |= !CollectInput(InputObject, received);
    }

    protected override void EndProcessing()
    {
        if (inputRejected)
        {
            // Half a set is worse than none: the script would go on without what it piped in.
            return;
        }

        Validated<TcpForward> created = ExposeFactory.CreateForward(
            Name, Port, TargetAddress, MyInvocation.BoundParameters.ContainsKey(nameof(TargetPort)) ? TargetPort : null,
            Namespace, Mode, EntryPoint, ProxyProtocol, Flavor);
        if (created.Value is null)
        {
            WriteErrors(created.Errors);
            return;
        }

        var set = new List<IExposeResource>(received) { created.Value };
        IReadOnlyList<ExposeProblem> conflicts = ExposeValidator.ValidateSet(set);
        if (conflicts.Count > 0)
        {
            WriteErrors(conflicts);
            return;
        }

        foreach (IExposeResource resource in set)
        {
            WriteObject(resource);
        }
    }
}

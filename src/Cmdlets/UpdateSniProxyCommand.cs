using System.Collections.Generic;
using System.Management.Automation;
using ClusterExpose.Engine.Proxy;

using ClusterExpose.Commands.Completion;

namespace ClusterExpose.Commands;

/// <summary>
/// Replaces the routes of a running SNI proxy in one atomic swap: open connections keep their
/// backend; a set that does not build changes nothing and the old routes keep serving.
/// </summary>
[Cmdlet(VerbsData.Update, "SniProxy", SupportsShouldProcess = true)]
[OutputType(typeof(SniProxyInfo))]
public sealed class UpdateSniProxyCommand : SniProxyRoutesCmdlet
{
    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(SniProxyIdCompleter))]
    public int Id { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>-WhatIf given, or $WhatIfPreference set: a set that does not build is said, not recorded as a rejected reload.</summary>
    private bool WhatIfRequested => MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? value)
        ? value is SwitchParameter given && given.IsPresent
        : LanguagePrimitives.IsTrue(SessionState.PSVariable.GetValue("WhatIfPreference"));

    protected override void EndProcessing()
    {
        if (InputRejected)
        {
            return;
        }

        try
        {
            ProxyRouteSet? routes = SniProxyHost.Prepare(Id, RouteSource(), out IReadOnlyList<ExposeProblem> loadErrors, recordRejection: !WhatIfRequested);
            if (routes is null)
            {
                WriteErrors(loadErrors);
                return;
            }

            foreach (string warning in routes.Warnings)
            {
                WriteWarning(warning);
            }

            if (!ShouldProcess($"SNI proxy {Id}", $"Replace its routes with {routes.RouteCount}: {string.Join(", ", routes.Served)}"))
            {
                return;
            }

            SniProxyInfo? updated = SniProxyHost.Update(Id, routes, out IReadOnlyList<ExposeProblem> errors);
            WriteErrors(errors);
            if (updated is not null && PassThru.IsPresent)
            {
                WriteObject(updated);
            }
        }
        catch (ClusterExposeException exception)
        {
            WriteError(ToErrorRecord(exception));
        }
    }
}

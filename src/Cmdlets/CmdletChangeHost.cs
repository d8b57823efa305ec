using System.Management.Automation;
using ClusterExpose.Engine.Cluster;

namespace ClusterExpose.Commands;

/// <summary>
/// How a cluster cmdlet hosts a change: consent from ShouldProcess (so -WhatIf and -Confirm work),
/// progress, verbose and warning records on the cmdlet's streams.
/// </summary>
internal sealed class CmdletChangeHost : IClusterChangeHost
{
    private readonly PSCmdlet cmdlet;
    private ProgressRecord? progress;

    public CmdletChangeHost(PSCmdlet cmdlet)
    {
        this.cmdlet = cmdlet;
        WhatIf = cmdlet.MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? whatIf) ? whatIf is SwitchParameter { IsPresent: true }
            : cmdlet.SessionState.PSVariable.GetValue("WhatIfPreference") is true or SwitchParameter { IsPresent: true };
    }

    public bool WhatIf { get; }

    public bool ShouldProcess(string target, string action) => cmdlet.ShouldProcess(target, action);

    public void Progress(string activity, string status, int index, int count)
    {
        // One object needs no progress bar.
        if (count < 2)
        {
            return;
        }

        progress ??= new ProgressRecord(1, activity, status);
        progress.Activity = activity;
        progress.StatusDescription = status;
        progress.PercentComplete = index * 100 / count;
        cmdlet.WriteProgress(progress);
    }

    public void ProgressDone()
    {
        if (progress is not null)
        {
            progress.RecordType = ProgressRecordType.Completed;
            cmdlet.WriteProgress(progress);
            progress = null;
        }
    }

    public void Verbose(string message) => cmdlet.WriteVerbose(message);

    public void Warning(string message) => cmdlet.WriteWarning(message);
}

using System.Collections.Generic;
using ClusterExpose.Engine.Cluster;

namespace ClusterExpose.Engine.Tests.Cluster;

/// <summary>A host for cluster changes that consents as told (all, or nothing as under -WhatIf) and records what it was asked and told.</summary>
internal sealed class RecordingChangeHost : IClusterChangeHost
{
    public RecordingChangeHost(bool whatIf = false) => WhatIf = whatIf;

    public bool WhatIf { get; }

    public List<string> Asked { get; } = new();

    public List<string> Said { get; } = new();

    public bool ShouldProcess(string target, string action)
    {
        Asked.Add($"{action}: {target}");
        return !WhatIf;
    }

    public void Progress(string activity, string status, int index, int count)
    {
    }

    public void ProgressDone()
    {
    }

    public void Verbose(string message) => Said.Add(message);

    public void Warning(string message) => Said.Add("WARNING: " + message);
}

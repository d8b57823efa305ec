using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;

namespace ClusterExpose.Bench;

/// <summary>
/// The resident memory of the headless proxy as operators start it (pwsh, the module, Start-SniProxy
/// -Wait on a routes file, the headless profile), with no connection, beside a bare pwsh -NoProfile
/// doing nothing; medians of three starts each, read once the proxy says it started.
/// </summary>
internal static class StartMemory
{
    public static string Report(string pwsh, string module)
    {
        string folder = Directory.CreateTempSubdirectory("clusterexpose-startmem-").FullName;
        string routes = Path.Combine(folder, "routes.yaml");
        int httpPort = global::Bench.FreePort();
        int httpsPort = global::Bench.FreePort();
        Run(pwsh, $"-NoProfile -NonInteractive -Command \"Import-Module '{module}'; New-ExposedHost k65 kl.example.top 10.21.22.65 -HttpPort {httpPort} -HttpsPort {httpsPort} | ConvertTo-SniProxyManifest -As RoutesFile | Set-Content '{routes}'\"", waitFor: null, out _).WaitForExit();
        var proxy = new List<double>();
        var bare = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            proxy.Add(Resident(pwsh, $"-NoProfile -NonInteractive -Command \"Import-Module '{module}'; Start-SniProxy -Path '{routes}' -Wait -ListenAddress 127.0.0.1\"", "ProxyStarted"));
            bare.Add(Resident(pwsh, "-NoProfile -NonInteractive -Command \"[Console]::Error.WriteLine('ready'); Start-Sleep 60\"", "ready"));
        }

        double p = Median(proxy);
        double b = Median(bare);
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("## Resident memory at start (MiB, median of 3 starts, no connection)");
        text.AppendLine();
        text.AppendLine("| headless proxy (Start-SniProxy -Wait) | bare pwsh -NoProfile | ratio |");
        text.AppendLine("|---:|---:|---:|");
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {p:0.0} | {b:0.0} | {p / b:0.00} |"));
        return text.ToString();
    }

    /// <summary>Starts the command, waits for <paramref name="ready"/> on its standard error, lets it settle, reads its RSS and ends it.</summary>
    private static double Resident(string pwsh, string arguments, string ready)
    {
        using Process process = Run(pwsh, arguments, ready, out ManualResetEventSlim started);
        try
        {
            if (!started.Wait(TimeSpan.FromSeconds(60)))
            {
                throw new InvalidOperationException($"'{arguments}' did not say '{ready}' within 60 s");
            }

            Thread.Sleep(3000);
            string line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
    }

    private static Process Run(string pwsh, string arguments, string? waitFor, out ManualResetEventSlim started)
    {
        var info = new ProcessStartInfo(pwsh, arguments) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };

        // The headless profile of the README, the DaemonSet and the systemd unit.
        info.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        info.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        info.Environment["DOTNET_GCgen0size"] = "0x100000";
        info.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        var signal = new ManualResetEventSlim(waitFor is null);
        started = signal;
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"{pwsh} did not start");
        process.ErrorDataReceived += (_, e) =>
        {
            if (waitFor is not null && e.Data?.Contains(waitFor, StringComparison.Ordinal) == true)
            {
                signal.Set();
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private static double Median(List<double> values) => values.OrderBy(v => v).ElementAt(values.Count / 2);
}

using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace ClusterExpose.Bench;

/// <summary>Where a target accepts: SNI-routed TLS, a plain forward to the source origin, HTTP routed per request by Host; 0 where it has none.</summary>
internal sealed record TargetPorts(int Tls, int Plain, int Http = 0);

/// <summary>A proxy under test running as its own process, pinned to one core, measured through /proc.</summary>
internal sealed class ProxyProcess : IDisposable
{
    private readonly Process process;

    private ProxyProcess(string name, Process process, TargetPorts ports)
    {
        Name = name;
        this.process = process;
        Ports = ports;
    }

    public string Name { get; }

    public TargetPorts Ports { get; }

    public int Pid => process.Id;

    /// <summary>Starts <paramref name="command"/> under taskset on <paramref name="core"/> and waits until its ports accept.</summary>
    public static ProxyProcess Start(string name, string command, string arguments, int core, TargetPorts ports, System.Collections.Generic.IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("taskset", $"-c {core} {command} {arguments}")
        {
            UseShellExecute = false,
            // The ClusterExpose host runs until its standard input closes, which happens when this process ends.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment ?? new System.Collections.Generic.Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[{name}] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var proxy = new ProxyProcess(name, process, ports);
        proxy.WaitUntilListening();
        return proxy;
    }

    /// <summary>User plus system CPU seconds of the process and its children (nginx and sniproxy may fork helpers).</summary>
    public double CpuSeconds()
    {
        double ticks = 0;
        foreach (int pid in ProcessTree())
        {
            string[] fields = StatFields(pid);
            if (fields.Length > 14)
            {
                ticks += double.Parse(fields[13], CultureInfo.InvariantCulture) + double.Parse(fields[14], CultureInfo.InvariantCulture);
            }
        }

        return ticks / 100.0;
    }

    /// <summary>Resident memory of the process tree, in KiB.</summary>
    public long ResidentKib()
    {
        long total = 0;
        foreach (int pid in ProcessTree())
        {
            try
            {
                string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null)
                {
                    total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
            }
        }

        return total;
    }

    public void Dispose()
    {
        foreach (int pid in ProcessTree().Reverse())
        {
            try
            {
                Process.GetProcessById(pid).Kill();
            }
            catch (Exception)
            {
            }
        }

        process.WaitForExit(5000);
        process.Dispose();
    }

    /// <summary>taskset execs the proxy, so the pid is the proxy's; its children are found by parent pid.</summary>
    private int[] ProcessTree()
    {
        var tree = new System.Collections.Generic.List<int> { process.Id };
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid) && pid != process.Id)
            {
                string[] fields = StatFields(pid);
                if (fields.Length > 3 && fields[3] == process.Id.ToString(CultureInfo.InvariantCulture))
                {
                    tree.Add(pid);
                }
            }
        }

        return tree.ToArray();
    }

    private static string[] StatFields(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return ("x x " + stat.Substring(close + 2)).Split(' ');
        }
        catch (IOException)
        {
            return Array.Empty<string>();
        }
    }

    private void WaitUntilListening()
    {
        var watch = Stopwatch.StartNew();
        foreach (int port in new[] { Ports.Tls, Ports.Plain, Ports.Http }.Where(p => p != 0))
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{Name} exited with {process.ExitCode} before listening");
                }

                try
                {
                    using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    probe.Connect(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(30))
                {
                    Thread.Sleep(50);
                }
            }
        }
    }
}

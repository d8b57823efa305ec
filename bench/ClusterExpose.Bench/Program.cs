using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose;
using ClusterExpose.Bench;
using ClusterExpose.Engine;
using ClusterExpose.Engine.Proxy;

// ClusterExpose.Bench run [--rounds N] [--out folder] [--quick]
// ClusterExpose.Bench proxy <tls port> <plain port> <http port> <origin tls port> <origin source port> <origin http port>
// ClusterExpose.Bench import [--quick]: only the manifest-reading throughput
// ClusterExpose.Bench run ... --pwsh <pwsh> --module <ClusterExpose.psd1>: also the resident memory at start
if (args.Length > 0 && args[0] == "import")
{
    Console.WriteLine(ImportThroughput.Report(args.Contains("--quick")));
    return 0;
}

if (args.Length > 0 && args[0] == "proxy")
{
    return RunProxy(args.Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray());
}

if (args.Length > 0 && args[0] == "startmem")
{
    // ClusterExpose.Bench startmem <pwsh> <module manifest>: only the resident memory at start.
    Console.WriteLine(StartMemory.Report(args[1], args[2]));
    return 0;
}

if (args.Length > 0 && args[0] == "profile-http")
{
    // For a profiler: the proxy as the bench runs it, under HTTP keep-alive load for the seconds given;
    // attach perf or strace to the pid it prints.
    return await Bench.ProfileRequestsAsync(ProfileSeconds(), ProfileTarget(), ports => ports.Http, LoadGenerator.HttpThroughputAsync);
}

if (args.Length > 0 && args[0] == "profile-keepalive")
{
    // ClusterExpose.Bench profile-keepalive [seconds] [ClusterExpose|HAProxy|nginx]: the same for small requests through the TLS relay.
    return await Bench.ProfileRequestsAsync(ProfileSeconds(), ProfileTarget(), ports => ports.Tls, LoadGenerator.KeepAliveThroughputAsync);
}

if (args.Length > 0 && args[0] == "profile-bulk")
{
    // ClusterExpose.Bench profile-bulk [seconds] [ClusterExpose|HAProxy|nginx]: 2 GiB transfers through the plain TCP forward, alone.
    return await Bench.ProfileBulkAsync(ProfileSeconds(), ProfileTarget());
}

if (args.Length > 0 && args[0] is "profile-conn" or "profile-handshakes")
{
    // ClusterExpose.Bench profile-conn|profile-handshakes [seconds] [ClusterExpose|HAProxy|nginx]: new TLS
    // connections alone, with a request each or (profile-handshakes) closed right after the handshake.
    return await Bench.ProfileConnectionsAsync(ProfileSeconds(), ProfileTarget(), withRequest: args[0] == "profile-conn");
}

if (args.Length > 0 && args[0] == "profile-latency")
{
    // ClusterExpose.Bench profile-latency [runs] [ClusterExpose|HAProxy|nginx]: the unloaded latency rows alone.
    return await Bench.ProfileLatencyAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5, ProfileTarget());
}

int rounds = OptionValue("--rounds", 3);
bool quick = args.Contains("--quick");
string outFolder = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine("out", "bench");
Directory.CreateDirectory(outFolder);
string? pwshPath = args.SkipWhile(a => a != "--pwsh").Skip(1).FirstOrDefault();
string? modulePath = args.SkipWhile(a => a != "--module").Skip(1).FirstOrDefault();
return await new Bench(rounds, quick, Path.GetFullPath(outFolder), pwshPath, modulePath).RunAsync();

// The profile modes' arguments: [seconds (or runs)] [target].
TimeSpan ProfileSeconds() => TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 20);

string ProfileTarget() => args.Length > 2 ? args[2] : "ClusterExpose";

int OptionValue(string name, int fallback)
{
    string? value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
}

// The proxy engine in a process of its own, with the routes every proxy gets.
static int RunProxy(int[] ports)
{
    ExposedHost host = ExposeFactory.CreateHost("bench", new[] { Configs.ServerName }, false, new[] { "127.0.0.1" }, "default", 80, 443, ports[5], ports[3]).Value!;
    TcpForward plain = ExposeFactory.CreateForward("plain", ports[1], new[] { "127.0.0.1" }, ports[4]).Value!;
    var options = new SniProxyOptions { ListenAddresses = new[] { IPAddress.Loopback }, HttpPort = ports[2], HttpsPort = ports[0], MaxConnections = 40_000, MaxConnectionsPerSource = 40_000, MaxPendingHandshakes = 4_096 };
    ProxyRouteSet routes = ProxyRouteSet.Build(new IExposeResource[] { host, plain }, options, out var errors)
        ?? throw new InvalidOperationException(string.Join("; ", errors.Select(e => e.Message)));
    SniProxyServer server = SniProxyServer.Start(1, routes, options);
    Console.WriteLine("ready");
    Console.In.ReadToEnd();
    server.StopAsync(TimeSpan.Zero).GetAwaiter().GetResult();
    return 0;
}

/// <summary>One run: every target measured back to back, round after round; medians reported as ratios.</summary>
internal sealed class Bench
{
    private const int ProxyCore = 0;
    private const int LoadCore = 1;
    private readonly int rounds;
    private readonly bool quick;
    private readonly string outFolder;
    private readonly Dictionary<(string Target, string Metric), List<double>> samples = new();
    private readonly string? pwsh;
    private readonly string? module;

    public Bench(int rounds, bool quick, string outFolder, string? pwsh = null, string? module = null)
    {
        this.rounds = rounds;
        this.quick = quick;
        this.outFolder = outFolder;
        this.pwsh = pwsh;
        this.module = module;
    }

    private int Handshakes => quick ? 300 : 2000;

    private int Requests => quick ? 500 : 5000;

    private long BulkPlainBytes => quick ? 256L << 20 : 2L << 30;

    private long BulkTlsBytes => quick ? 64L << 20 : 512L << 20;

    /// <summary>The file-descriptor hard limit here is 20000: each relayed connection costs the proxy two.</summary>
    private int IdleConnections => quick ? 1000 : 8000;

    public async Task<int> RunAsync()
    {
        // The load generator and the origins share one core; each proxy gets the other.
        if (OperatingSystem.IsLinux())
        {
            Process.GetCurrentProcess().ProcessorAffinity = (IntPtr)(1 << LoadCore);
        }
        using var origins = new Origins(Math.Max(BulkPlainBytes, BulkTlsBytes));
        string folder = Directory.CreateTempSubdirectory("clusterexpose-bench-").FullName;
        var targets = new List<(string Name, Func<ProxyProcess?> Start)>
        {
            ("direct", () => null),
            ("ClusterExpose", () => StartClusterExpose(origins)),
            ("HAProxy", () => StartExternal("HAProxy", "haproxy", (f, p) => Configs.HaProxy(f, p, origins.TlsPort, origins.SourcePort, origins.HttpPort), folder, plain: true)),
            ("nginx", () => StartExternal("nginx", "nginx", (f, p) => Configs.Nginx(f, p, origins.TlsPort, origins.SourcePort, origins.HttpPort), folder, plain: true)),
            ("sniproxy", () => StartExternal("sniproxy", "sniproxy", (f, p) => Configs.SniProxy(f, p, origins.TlsPort), folder, plain: false)),
        };

        string? only = Environment.GetEnvironmentVariable("BENCH_ONLY");
        var running = new List<(string Name, ProxyProcess? Proxy)>();
        try
        {
            // BENCH_ONLY=a,b also sets the order within a round, to tell a target's figures from its place.
            foreach (var (name, start) in only is null ? targets : only.Split(',').SelectMany(n => targets.Where(t => t.Name == n)))
            {
                running.Add((name, start()));
            }

            // build.ps1 turns "progress done/total text" lines into Write-Progress.
            int steps = running.Count * (rounds + 1);
            int step = 0;

            // One untimed pass first: the JIT (tiered, with PGO) and every cache settle before anything counts.
            foreach (var (name, proxy) in running)
            {
                Console.WriteLine($"progress {step++}/{steps} warm-up: {name}");
                await MeasureAsync(name, proxy, PortsOf(proxy, origins), origins);
            }

            await MeasureNewConnectionsAsync(running, origins);
            await MeasureLatenciesAsync(running, origins);
            await MeasureBulkAsync(running, origins);
            samples.Clear();
            for (int round = 1; round <= rounds; round++)
            {
                await SettleAsync();
                await MeasureNewConnectionsAsync(running, origins);
                await SettleAsync();
                await MeasureLatenciesAsync(running, origins);
                await SettleAsync();
                await MeasureBulkAsync(running, origins);

                // Each round starts one target later, so that no target is always the one measured
                // right after the bulk transfers.
                foreach (var (name, proxy) in running.Skip((round - 1) % running.Count).Concat(running.Take((round - 1) % running.Count)))
                {
                    Console.WriteLine($"progress {step++}/{steps} round {round}: {name}");
                    await SettleAsync();
                    await MeasureAsync(name, proxy, PortsOf(proxy, origins), origins);
                }

                foreach (var (name, start) in targets.Where(t => running.Any(r => r.Name == t.Name)))
                {
                    await MeasureIdleMemoryAsync(name, start);
                }
            }
        }
        finally
        {
            running.ForEach(r => r.Proxy?.Dispose());
        }

        string report = Report() + ImportThroughput.Report(quick)
            + (pwsh is not null && module is not null ? StartMemory.Report(pwsh, module) : string.Empty);
        Console.WriteLine(report);
        File.WriteAllText(Path.Combine(outFolder, "results.md"), report);
        // Every round's figure, for the spread behind a median.
        File.WriteAllLines(Path.Combine(outFolder, "rounds.tsv"), samples.OrderBy(s => s.Key.Metric, StringComparer.Ordinal).ThenBy(s => s.Key.Target, StringComparer.Ordinal)
            .Select(s => $"{s.Key.Metric}\t{s.Key.Target}\t{string.Join('\t', s.Value.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)))}"));
        return 0;
    }

    /// <summary>
    /// The load generator and the origins collect what the last target left in their heap before the
    /// next one is measured: a full collection in the middle of a target's run would stall the core
    /// its load comes from and be counted against that target.
    /// </summary>
    private static async Task SettleAsync()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        await Task.Delay(1000);
    }

    private async Task MeasureAsync(string target, ProxyProcess? proxy, TargetPorts ports, Origins origins)
    {
        TimeSpan keepAliveWindow = TimeSpan.FromSeconds(quick ? 1 : 3);
        await MeasureRequestsAsync(target, proxy, new RequestMetrics("keepalive-req/s", "cpu-us/keepalive-req", "proxy-core-%-keepalive"),
            () => LoadGenerator.KeepAliveThroughputAsync(ports.Tls, 8, keepAliveWindow), keepAliveWindow);

        if (ports.Http != 0)
        {
            // HTTP routed per request by Host, kept alive on both sides: the listener of port 80.
            await MeasureRequestsAsync(target, proxy, new RequestMetrics("http-req/s", "cpu-us/http-req", "proxy-core-%-http"),
                () => LoadGenerator.HttpThroughputAsync(ports.Http, 8, keepAliveWindow), keepAliveWindow);
        }
    }

    /// <summary>Where a target listens: a proxy's ports, or the origins' own for the direct connection.</summary>
    private static TargetPorts PortsOf(ProxyProcess? proxy, Origins origins) => proxy?.Ports ?? new TargetPorts(origins.TlsPort, origins.SourcePort, origins.HttpPort);

    /// <summary>
    /// New TLS connections through every target, 16 at a time: full handshakes closed at once, then
    /// connections as users' clients make them (a handshake, one request and its answer, the close).
    /// Each kind runs in five slices per target, the targets taking turns slice by slice, and a
    /// target's CPU is summed over its own slices (the others sit idle meanwhile): a noisy stretch of
    /// the host then lands on every target alike, as in <see cref="MeasureLatenciesAsync"/>.
    /// </summary>
    private async Task MeasureNewConnectionsAsync(IReadOnlyList<(string Name, ProxyProcess? Proxy)> running, Origins origins)
    {
        await MeasureConnectionSlicesAsync(running, origins, "tls-conn/s", "cpu-us/tls-conn", (port, count) => LoadGenerator.HandshakesAsync(port, count, 16));
        await MeasureConnectionSlicesAsync(running, origins, "tls-conn+req/s", "cpu-us/tls-conn+req", (port, count) => LoadGenerator.ConnectionsWithRequestAsync(port, count, 16));
    }

    /// <summary>
    /// Bulk transfers through every target, the targets taking turns in four slices each as for new
    /// connections: 512 MiB (2 GiB) through TLS passthrough in slices of 128 MiB (512 MiB), each on a
    /// connection of its own, then the same through the plain TCP forward where a target has one.
    /// </summary>
    private async Task MeasureBulkAsync(IReadOnlyList<(string Name, ProxyProcess? Proxy)> running, Origins origins)
    {
        const int Slices = 4;
        await MeasureSlicesAsync(running, Slices, "tls-passthrough-MB/s", 1e-6, "cpu-s/GB-tls", 1e9,
            async proxy => await LoadGenerator.BulkTlsAsync(PortsOf(proxy, origins).Tls, BulkTlsBytes / Slices));
        await MeasureSlicesAsync(running.Where(r => PortsOf(r.Proxy, origins).Plain != 0).ToList(), Slices, "tcp-MB/s", 1e-6, "cpu-s/GB-tcp", 1e9,
            async proxy => await LoadGenerator.BulkPlainAsync(PortsOf(proxy, origins).Plain, BulkPlainBytes / Slices));
    }

    private Task MeasureConnectionSlicesAsync(IReadOnlyList<(string Name, ProxyProcess? Proxy)> running, Origins origins, string rate, string cpuPerConnection, Func<int, int, Task<TimeSpan>> connect)
    {
        const int Slices = 5;
        int perSlice = Handshakes / Slices;
        return MeasureSlicesAsync(running, Slices, rate, 1, cpuPerConnection, 1e6,
            async proxy => ((long)perSlice, await connect(PortsOf(proxy, origins).Tls, perSlice)));
    }

    /// <summary>
    /// Runs <paramref name="slices"/> slices of work per target, the targets taking turns slice by
    /// slice (the first target of each turn moves on by one), and sums each target's units, time and
    /// proxy CPU over its own slices (the other proxies sit idle meanwhile). Reports units per second
    /// (scaled) and CPU seconds per unit (per <paramref name="cpuUnit"/> units).
    /// </summary>
    private async Task MeasureSlicesAsync(IReadOnlyList<(string Name, ProxyProcess? Proxy)> running, int slices, string rate, double rateScale, string cpuPer, double cpuUnit, Func<ProxyProcess?, Task<(long Units, TimeSpan Elapsed)>> slice)
    {
        var units = new long[running.Count];
        var wall = new TimeSpan[running.Count];
        var cpu = new double[running.Count];
        for (int pass = 0; pass < slices; pass++)
        {
            for (int turn = 0; turn < running.Count; turn++)
            {
                int which = (pass + turn) % running.Count;
                ProxyProcess? proxy = running[which].Proxy;
                double before = proxy?.CpuSeconds() ?? 0;
                var (done, elapsed) = await slice(proxy);
                units[which] += done;
                wall[which] += elapsed;
                cpu[which] += (proxy?.CpuSeconds() ?? 0) - before;
            }
        }

        for (int i = 0; i < running.Count; i++)
        {
            Add(running[i].Name, rate, units[i] * rateScale / wall[i].TotalSeconds);
            if (running[i].Proxy is not null)
            {
                Add(running[i].Name, cpuPer, cpu[i] * cpuUnit / units[i]);
            }
        }
    }

    /// <summary>
    /// Unloaded latency (p50, p99) of every target in one pass: one kept-alive connection to each,
    /// through the TLS relay and through the HTTP listener, and sequential small requests taken in
    /// turn, one in flight at a time. A stall of the host (another guest, a hypervisor exit) then
    /// lands on every target alike, instead of on whichever target happened to be measured during it.
    /// </summary>
    private async Task MeasureLatenciesAsync(IReadOnlyList<(string Name, ProxyProcess? Proxy)> running, Origins origins)
    {
        var targets = running.Select(r => (r.Name, Ports: PortsOf(r.Proxy, origins))).ToList();
        double[][] tls = await LoadGenerator.InterleavedKeepAliveLatenciesAsync(targets.Select(t => t.Ports.Tls).ToArray(), Requests);
        for (int i = 0; i < targets.Count; i++)
        {
            AddPercentiles(targets[i].Name, "p50-us", "p99-us", tls[i]);
        }

        var http = targets.Where(t => t.Ports.Http != 0).ToList();
        double[][] httpLatencies = await LoadGenerator.InterleavedHttpLatenciesAsync(http.Select(t => t.Ports.Http).ToArray(), Requests);
        for (int i = 0; i < http.Count; i++)
        {
            AddPercentiles(http[i].Name, "http-p50-us", "http-p99-us", httpLatencies[i]);
        }
    }

    private void AddPercentiles(string target, string p50, string p99, double[] latencies)
    {
        Array.Sort(latencies);
        Add(target, p50, latencies[latencies.Length / 2]);
        Add(target, p99, latencies[(int)(latencies.Length * 0.99)]);
    }

    /// <summary>
    /// Requests/s of small requests over 8 kept-alive connections, with the proxy's CPU over the same
    /// seconds, which says which side the throughput is bound by: a proxy near one whole core is the
    /// limit, one well below it waits on the load generator.
    /// </summary>
    private async Task MeasureRequestsAsync(string target, ProxyProcess? proxy, RequestMetrics names, Func<Task<double>> concurrent, TimeSpan window)
    {
        double cpu = proxy?.CpuSeconds() ?? 0;
        double perSecond = await concurrent();
        Add(target, names.Rate, perSecond);
        if (proxy is not null)
        {
            double used = proxy.CpuSeconds() - cpu;
            Add(target, names.CpuPerRequest, used * 1e6 / (perSecond * window.TotalSeconds));
            Add(target, names.CoreShare, used * 100 / window.TotalSeconds);
        }
    }

    /// <summary>
    /// Memory per idle relayed connection, on a fresh process each time (pools a long-running proxy
    /// kept from earlier phases would hide the cost): a small batch first so that code paths and
    /// first-use structures are in place, then the measured batch. Once through a plain forward (one
    /// byte said, then silence) and once through TLS passthrough (a full handshake, then silence),
    /// which also shows that nothing read to route a connection stays with it.
    /// </summary>
    private async Task MeasureIdleMemoryAsync(string target, Func<ProxyProcess?> start)
    {
        await MeasureIdleAsync(target, start, "KiB/idle-conn", ports => ports.Plain, LoadGenerator.OpenIdleAsync);
        await MeasureIdleAsync(target, start, "KiB/idle-tls-conn", ports => ports.Tls, LoadGenerator.OpenIdleTlsAsync);
    }

    private async Task MeasureIdleAsync<T>(string target, Func<ProxyProcess?> start, string metric, Func<TargetPorts, int> port, Func<int, int, Task<List<T>>> open)
        where T : IDisposable
    {
        using ProxyProcess? proxy = start();
        if (proxy is null || port(proxy.Ports) == 0)
        {
            return;
        }

        List<T> warm = await open(port(proxy.Ports), 200);
        await Task.Delay(500);
        warm.ForEach(s => s.Dispose());
        await Task.Delay(500);
        long before = proxy.ResidentKib();
        List<T> idle = await open(port(proxy.Ports), IdleConnections);
        // Longer than the second after which a quiet relay gives its posted reads back.
        await Task.Delay(2500);
        long after = proxy.ResidentKib();
        Add(target, metric, (after - before) / (double)IdleConnections);
        idle.ForEach(s => s.Dispose());
        await Task.Delay(500);
    }

    /// <summary>For a profiler: 2 GiB transfers through the plain TCP forward, one after another; each one's MB/s and proxy CPU per GB printed.</summary>
    public static async Task<int> ProfileBulkAsync(TimeSpan duration, string target)
    {
        using var origins = new Origins(2L << 30);
        using ProxyProcess proxy = StartForProfile(target, origins);
        Console.WriteLine($"pid {proxy.Pid}");
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            double cpu = proxy.CpuSeconds();
            var (bytes, elapsed) = await LoadGenerator.BulkPlainAsync(proxy.Ports.Plain);
            Console.WriteLine($"{bytes / elapsed.TotalSeconds / 1e6:0} MB/s, {(proxy.CpuSeconds() - cpu) / (bytes / 1e9):0.00} s CPU per GB");
        }

        return 0;
    }

    public static async Task<int> ProfileRequestsAsync(TimeSpan duration, string target, Func<TargetPorts, int> port, Func<int, int, TimeSpan, Task<double>> load)
    {
        using var origins = new Origins(1 << 20);
        using ProxyProcess proxy = StartForProfile(target, origins);
        await load(port(proxy.Ports), 8, TimeSpan.FromSeconds(3));
        Console.WriteLine($"pid {proxy.Pid}");
        double cpu = proxy.CpuSeconds();
        double perSecond = await load(port(proxy.Ports), 8, duration);
        double used = proxy.CpuSeconds() - cpu;
        Console.WriteLine($"{perSecond:0} requests/s, {used * 1e6 / (perSecond * duration.TotalSeconds):0.0} us CPU per request, proxy core {used * 100 / duration.TotalSeconds:0}%");
        return 0;
    }

    /// <summary>
    /// For a profiler: new TLS connections, 16 at a time, in batches of 2000 for about the seconds
    /// given, against one target; each batch's proxy CPU per connection printed. With a request, as
    /// clients make them (a handshake, one request and its answer, the close); without, the bench's
    /// handshake row (a full handshake, then the close).
    /// </summary>
    public static async Task<int> ProfileConnectionsAsync(TimeSpan duration, string target, bool withRequest)
    {
        using var origins = new Origins(1 << 20);
        using ProxyProcess proxy = StartForProfile(target, origins);
        Func<int, Task<TimeSpan>> batch = count => withRequest
            ? LoadGenerator.ConnectionsWithRequestAsync(proxy.Ports.Tls, count, 16)
            : LoadGenerator.HandshakesAsync(proxy.Ports.Tls, count, 16);
        await batch(200);
        Console.WriteLine($"pid {proxy.Pid}");
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            double cpu = proxy.CpuSeconds();
            TimeSpan wall = await batch(2000);
            Console.WriteLine($"{2000 / wall.TotalSeconds:0} connections/s, {(proxy.CpuSeconds() - cpu) * 1e6 / 2000:0} us CPU per connection");
        }

        return 0;
    }

    /// <summary>
    /// For a profiler: the unloaded latency runs (sequential requests on one TLS relay and on one HTTP
    /// connection) against one target, a few times, each run's p50 and p99 printed.
    /// </summary>
    public static async Task<int> ProfileLatencyAsync(int runs, string target)
    {
        using var origins = new Origins(1 << 20);
        using ProxyProcess proxy = StartForProfile(target, origins);
        Console.WriteLine($"pid {proxy.Pid}");
        for (int run = 0; run < runs; run++)
        {
            double[] tls = await LoadGenerator.KeepAliveLatenciesAsync(proxy.Ports.Tls, 5000);
            double[] http = await LoadGenerator.HttpLatenciesAsync(proxy.Ports.Http, 5000);
            Array.Sort(tls);
            Array.Sort(http);
            Console.WriteLine($"TLS relay p50 {tls[tls.Length / 2]:0} us p99 {tls[tls.Length * 99 / 100]:0} us; HTTP p50 {http[http.Length / 2]:0} us p99 {http[http.Length * 99 / 100]:0} us");
        }

        return 0;
    }

    /// <summary>One target for a profiling run, with the load generator on its own core.</summary>
    private static ProxyProcess StartForProfile(string target, Origins origins)
    {
        if (OperatingSystem.IsLinux())
        {
            Process.GetCurrentProcess().ProcessorAffinity = (IntPtr)(1 << LoadCore);
        }

        string folder = Directory.CreateTempSubdirectory("clusterexpose-profile-").FullName;
        return target switch
        {
            "HAProxy" => StartExternal("HAProxy", "haproxy", (f, p) => Configs.HaProxy(f, p, origins.TlsPort, origins.SourcePort, origins.HttpPort), folder, plain: true)!,
            "nginx" => StartExternal("nginx", "nginx", (f, p) => Configs.Nginx(f, p, origins.TlsPort, origins.SourcePort, origins.HttpPort), folder, plain: true)!,
            _ => StartClusterExpose(origins),
        };
    }

    private static ProxyProcess StartClusterExpose(Origins origins)
    {
        var ports = new TargetPorts(FreePort(), FreePort(), FreePort());
        string self = Environment.ProcessPath!;
        string arguments = string.Join(' ', new[] { ports.Tls, ports.Plain, ports.Http, origins.TlsPort, origins.SourcePort, origins.HttpPort });
        string command = self.EndsWith("dotnet", StringComparison.Ordinal) ? $"{self} {typeof(Bench).Assembly.Location}" : self;
        // The settings of the headless profile (README, the rendered DaemonSet): socket continuations
        // run on the event thread instead of hopping to the thread pool, and pool workers sleep
        // instead of spinning between connections. Both are process-wide, so an interactive session
        // keeps the defaults.
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1",
            ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
            ["DOTNET_GCgen0size"] = "0x100000",
        };
        foreach (string name in new[] { "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "DOTNET_TieredPGO", "DOTNET_gcServer", "DOTNET_PerfMapEnabled", "DOTNET_EnableWriteXorExecute", "DOTNET_GCgen0size", "DOTNET_GCConserveMemory" })
        {
            if (Environment.GetEnvironmentVariable("BENCH_" + name) is string value)
            {
                environment[name] = value;
            }
        }

        return ProxyProcess.Start("ClusterExpose", command, "proxy " + arguments, ProxyCore, ports, environment);
    }

    private static ProxyProcess? StartExternal(string name, string command, Func<string, TargetPorts, string> configure, string folder, bool plain)
    {
        // sniproxy routes a whole connection by its first Host, not each request: it has no HTTP row.
        var ports = new TargetPorts(FreePort(), plain ? FreePort() : 0, plain ? FreePort() : 0);
        return ProxyProcess.Start(name, command, configure(folder, ports), ProxyCore, ports);
    }

    internal static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void Add(string target, string metric, double value)
    {
        if (!samples.TryGetValue((target, metric), out List<double>? list))
        {
            samples[(target, metric)] = list = new List<double>();
        }

        list.Add(value);
    }

    private double? Median(string target, string metric)
    {
        if (!samples.TryGetValue((target, metric), out List<double>? list) || list.Count == 0)
        {
            return null;
        }

        double[] sorted = list.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>
    /// ClusterExpose over HAProxy round by round: the two were measured minutes apart within a round,
    /// so on a shared host whose speed drifts this is the steadier comparison; the spread says how far
    /// to trust it.
    /// </summary>
    private string RoundRatios(string metric)
    {
        if (!samples.TryGetValue(("ClusterExpose", metric), out List<double>? ours) || !samples.TryGetValue(("HAProxy", metric), out List<double>? haproxy))
        {
            return "n/a";
        }

        double[] ratios = ours.Zip(haproxy).Where(pair => pair.Second != 0).Select(pair => pair.First / pair.Second).OrderBy(r => r).ToArray();
        return ratios.Length == 0
            ? "n/a"
            : string.Create(CultureInfo.InvariantCulture, $"{ratios[ratios.Length / 2]:0.00} ({ratios[0]:0.00}-{ratios[^1]:0.00})");
    }

    private string Report()
    {
        string[] targets = { "direct", "ClusterExpose", "HAProxy", "nginx", "sniproxy" };
        string[] metrics = { "tls-conn/s", "cpu-us/tls-conn", "tls-conn+req/s", "cpu-us/tls-conn+req", "keepalive-req/s", "cpu-us/keepalive-req", "proxy-core-%-keepalive", "p50-us", "p99-us", "http-req/s", "cpu-us/http-req", "proxy-core-%-http", "http-p50-us", "http-p99-us", "tls-passthrough-MB/s", "cpu-s/GB-tls", "tcp-MB/s", "cpu-s/GB-tcp", "KiB/idle-conn", "KiB/idle-tls-conn" };
        var text = new StringBuilder();
        text.AppendLine($"Medians of {rounds} rounds; {Environment.ProcessorCount} cores, proxy pinned to core {ProxyCore}, load generator and origins to core {LoadCore}.");
        text.AppendLine($"Handshakes {Handshakes}, keep-alive requests {Requests} (TLS relay; HTTP routed per request), bulk TCP {BulkPlainBytes >> 20} MiB, bulk TLS {BulkTlsBytes >> 20} MiB, idle connections {IdleConnections}.");
        text.AppendLine();
        text.AppendLine("| metric | " + string.Join(" | ", targets) + " | ClusterExpose / HAProxy | per-round ratios: median (min-max) |");
        text.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", targets.Length + 2)));
        foreach (string metric in metrics)
        {
            var cells = targets.Select(t => Median(t, metric) is double v ? v.ToString(v >= 100 ? "0" : "0.00", CultureInfo.InvariantCulture) : "n/a");
            double? ours = Median("ClusterExpose", metric);
            double? haproxy = Median("HAProxy", metric);
            string ratio = ours is double o && haproxy is double h && h != 0 ? (o / h).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
            text.AppendLine($"| {metric} | {string.Join(" | ", cells)} | {ratio} | {RoundRatios(metric)} |");
        }

        return text.ToString();
    }
}

/// <summary>The names one request measurement reports under.</summary>
internal sealed record RequestMetrics(string Rate, string CpuPerRequest, string CoreShare);

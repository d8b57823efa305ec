using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Runtime.InteropServices;
using System.Threading;
using ClusterExpose.Engine.Proxy;

namespace ClusterExpose.Commands;

/// <summary>
/// Starts the in-process forwarder: HTTPS by SNI with passthrough, HTTP by Host, TCP by port. It
/// runs in the background and returns its handle; -Wait keeps it in the foreground until Ctrl+C.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "SniProxy", SupportsShouldProcess = true)]
[OutputType(typeof(SniProxyInfo))]
public sealed class StartSniProxyCommand : SniProxyRoutesCmdlet
{

    private readonly ManualResetEventSlim stopRequested = new();

    [Parameter]
    public string[] ListenAddress { get; set; } = Array.Empty<string>();

    /// <summary>The Traefik version whose reading of the routes files is served; by default v2 only when every file says v2.</summary>
    [Parameter]
    [TraefikVersionTransformation]
    public TraefikVersion? TraefikVersion { get; set; }

    [Parameter]
    [ValidateRange(0, 65535)]
    public int? HttpPort { get; set; }

    [Parameter]
    [ValidateRange(0, 65535)]
    public int? HttpsPort { get; set; }

    /// <summary>Reload the routes when the -Path file changes.</summary>
    [Parameter]
    public SwitchParameter Watch { get; set; }

    /// <summary>Stay in the foreground until Ctrl+C, then stop gracefully.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Serve /metrics (Prometheus text), /healthz and /readyz on this port (0: any free port).</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int? MetricsPort { get; set; }

    /// <summary>The address /metrics is served on.</summary>
    [Parameter]
    public string MetricsAddress { get; set; } = "127.0.0.1";

    /// <summary>With -Wait: how the events go to standard error, one line each.</summary>
    [Parameter]
    public EventLogFormat LogFormat { get; set; } = EventLogFormat.Text;

    /// <summary>One line per finished connection (TLS, TCP) and per finished HTTP request, where the events go.</summary>
    [Parameter]
    public SwitchParameter AccessLog { get; set; }

    /// <summary>How long an HTTP connection may wait for its next request.</summary>
    [Parameter]
    [ValidateRange(0.001, 86400)]
    public double KeepAliveTimeoutSec { get; set; } = 180;

    /// <summary>With -Wait: write the proxy's final counters when it stops.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter]
    [ValidateRange(0, 3600)]
    public double DrainTimeoutSec { get; set; } = 30;

    [Parameter]
    [ValidateRange(0.1, 600)]
    public double HandshakeTimeoutSec { get; set; } = 10;

    [Parameter]
    [ValidateRange(0.1, 600)]
    public double ConnectTimeoutSec { get; set; } = 10;

    [Parameter]
    [ValidateRange(1, 604800)]
    public double IdleTimeoutSec { get; set; } = 3600;

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxConnections { get; set; } = 10_000;

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxConnectionsPerSource { get; set; } = 256;

    [Parameter]
    [ValidateRange(512, ClientHelloParser.MaxAllowedHelloBytes)]
    public int MaxHelloBytes { get; set; } = ClientHelloParser.DefaultMaxHelloBytes;

    protected override void EndProcessing()
    {
        if (InputRejected)
        {
            return;
        }

        if (Watch.IsPresent && RouteFiles.Count != 1)
        {
            WriteError(new ErrorRecord(new PSArgumentException("-Watch needs exactly one routes file in -Path."), ErrorIds.WatchNeedsOneFile, ErrorCategory.InvalidArgument, Path));
            return;
        }

        SniProxyOptions? options = BuildOptions();
        if (options is null)
        {
            return;
        }

        // Loaded and checked once: what -WhatIf describes is the set a start serves.
        ProxyRouteSet? routes = SniProxyHost.Prepare(RouteSource(), options, out IReadOnlyList<ExposeProblem> loadErrors);
        if (routes is null)
        {
            WriteErrors(loadErrors);
            return;
        }

        foreach (string warning in routes.Warnings)
        {
            WriteWarning(warning);
        }

        if (!ShouldProcess(string.Join("; ", SniProxyHost.Plan(routes, options)), "Start SNI proxy"))
        {
            return;
        }

        // Headless, nobody calls Get-SniProxy: every event also goes to standard error, one line each.
        SniProxyInfo? started = SniProxyHost.Start(routes, options, Watch.IsPresent ? new RouteFileWatch(RouteFiles[0], OtherRoutes()) : null, out IReadOnlyList<ExposeProblem> errors,
            Wait.IsPresent ? Console.Error : null, LogFormat);
        if (started is null)
        {
            WriteErrors(errors);
            return;
        }

        if (!Wait.IsPresent)
        {
            WriteObject(started);
            return;
        }

        // SIGTERM (systemd, the kubelet) and SIGINT (Ctrl+C) start a graceful stop instead of ending
        // the process at once; a second signal cuts the drain short.
        using var hurry = new CancellationTokenSource();
        int signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref signals) == 1)
            {
                stopRequested.Set();
            }
            else
            {
                hurry.Cancel();
            }
        }

        using PosixSignalRegistration? terminate = Register(PosixSignal.SIGTERM, OnSignal);
        using PosixSignalRegistration? interrupt = Register(PosixSignal.SIGINT, OnSignal);
        WriteVerbose($"SNI proxy {started.Id} is running: {string.Join(", ", started.Listeners.Select(l => l.ToString()))}. Press Ctrl+C to stop.");
        stopRequested.Wait();
        WriteVerbose($"Stopping SNI proxy {started.Id}, draining for up to {DrainTimeoutSec} s.");
        SniProxyInfo stopped = SniProxyHost.Stop(started.Id, TimeSpan.FromSeconds(DrainTimeoutSec), hurry.Token);
        if (PassThru.IsPresent)
        {
            WriteObject(stopped);
        }
    }

    /// <summary>A signal handler where the platform has the signal; none where it does not.</summary>
    private static PosixSignalRegistration? Register(PosixSignal signal, Action<PosixSignalContext> handler)
    {
        try
        {
            return PosixSignalRegistration.Create(signal, handler);
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }

    protected override void StopProcessing()
    {
        base.StopProcessing();
        stopRequested.Set();
    }

    private SniProxyOptions? BuildOptions()
    {
        var addresses = new List<IPAddress>();
        foreach (string text in ListenAddress)
        {
            if (!IPAddress.TryParse(text, out IPAddress? address))
            {
                WriteError(new ErrorRecord(new PSArgumentException($"'{text}' is not an IP address to listen on."), ErrorIds.InvalidListenAddress, ErrorCategory.InvalidArgument, text));
                return null;
            }

            addresses.Add(address);
        }

        IPEndPoint? metrics = null;
        if (MetricsPort is int metricsPort)
        {
            if (!IPAddress.TryParse(MetricsAddress, out IPAddress? metricsAddress))
            {
                WriteError(new ErrorRecord(new PSArgumentException($"'{MetricsAddress}' is not an IP address to serve metrics on."), ErrorIds.InvalidListenAddress, ErrorCategory.InvalidArgument, MetricsAddress));
                return null;
            }

            metrics = new IPEndPoint(metricsAddress, metricsPort);
        }

        return new SniProxyOptions
        {
            MetricsEndpoint = metrics,
            ListenAddresses = addresses,
            TraefikVersion = TraefikVersion,
            HttpPort = HttpPort,
            HttpsPort = HttpsPort,
            HandshakeTimeout = TimeSpan.FromSeconds(HandshakeTimeoutSec),
            ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeoutSec),
            IdleTimeout = TimeSpan.FromSeconds(IdleTimeoutSec),
            KeepAliveTimeout = TimeSpan.FromSeconds(KeepAliveTimeoutSec),
            AccessLog = AccessLog.IsPresent,
            MaxConnections = MaxConnections,
            MaxConnectionsPerSource = MaxConnectionsPerSource,
            MaxHelloBytes = MaxHelloBytes,
        };
    }
}

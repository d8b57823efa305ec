using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Threading;
using ClusterExpose.Engine.Cluster;
using ClusterExpose.Engine.Probes;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Validation;

using ClusterExpose.Commands.Completion;

namespace ClusterExpose.Commands;

/// <summary>
/// Says where a host name goes, as Traefik would decide it, over routes from model objects and
/// manifest files; with -Lint, finds the mistakes in those routes; with -Server, asks a live endpoint.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SniRoute", DefaultParameterSetName = RouteParameterSet)]
[OutputType(typeof(SniRouteResult), ParameterSetName = new[] { RouteParameterSet })]
[OutputType(typeof(RouteLintFinding), ParameterSetName = new[] { LintParameterSet })]
[OutputType(typeof(SniProbeResult), ParameterSetName = new[] { ProbeParameterSet })]
public sealed class TestSniRouteCommand : ClusterExposeCmdlet
{
    private const string RouteParameterSet = "Route";
    private const string LintParameterSet = "Lint";
    private const string ProbeParameterSet = "Probe";
    private static readonly string[] DefaultAlpn = { "h2", "http/1.1" };

    private readonly List<IExposeResource> resources = new();
    private readonly CancellationTokenSource stopping = new();
    private bool inputRejected;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = RouteParameterSet)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ProbeParameterSet)]
    [ArgumentCompleter(typeof(RouteArgumentCompleter))]
    public string[] Hostname { get; set; } = Array.Empty<string>();

    [Parameter(ValueFromPipeline = true, ParameterSetName = RouteParameterSet)]
    [Parameter(ValueFromPipeline = true, ParameterSetName = LintParameterSet)]
    [AllowNull]
    [AllowEmptyCollection]
    public object?[]? InputObject { get; set; }

    [Parameter(ParameterSetName = RouteParameterSet)]
    [Parameter(ParameterSetName = LintParameterSet)]
    [SupportsWildcards]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = RouteParameterSet)]
    [ArgumentCompleter(typeof(RouteArgumentCompleter))]
    public string? EntryPoint { get; set; }

    [Parameter(ParameterSetName = RouteParameterSet)]
    public string? ClientIP { get; set; }

    [Parameter(ParameterSetName = RouteParameterSet)]
    [Parameter(ParameterSetName = ProbeParameterSet)]
    public string[]? Alpn { get; set; }

    [Parameter(ParameterSetName = RouteParameterSet)]
    [Parameter(ParameterSetName = LintParameterSet)]
    [TraefikVersionTransformation]
    public TraefikVersion? TraefikVersion { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = LintParameterSet)]
    public SwitchParameter Lint { get; set; }

    /// <summary>Also read every IngressRoute and IngressRouteTCP of the cluster (implied by -Context and -KubeConfig).</summary>
    [Parameter(ParameterSetName = RouteParameterSet)]
    [Parameter(ParameterSetName = LintParameterSet)]
    public SwitchParameter Cluster { get; set; }

    [Parameter(ParameterSetName = RouteParameterSet)]
    [Parameter(ParameterSetName = LintParameterSet)]
    [ArgumentCompleter(typeof(KubeContextCompleter))]
    public string? Context { get; set; }

    [Parameter(ParameterSetName = RouteParameterSet)]
    [Parameter(ParameterSetName = LintParameterSet)]
    public string? KubeConfig { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ProbeParameterSet)]
    public string Server { get; set; } = string.Empty;

    [Parameter(ParameterSetName = ProbeParameterSet)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    [Parameter(ParameterSetName = ProbeParameterSet)]
    public SwitchParameter Http { get; set; }

    [Parameter(ParameterSetName = ProbeParameterSet)]
    public SwitchParameter Tcp { get; set; }

    [Parameter(ParameterSetName = ProbeParameterSet)]
    [ValidateRange(0.05, 600)]
    public double TimeoutSec { get; set; } = 5;

    protected override void ProcessRecord()
    {
        if (ParameterSetName == ProbeParameterSet)
        {
            Probe();
            return;
        }

        inputRejected |= !CollectInput(InputObject, resources);
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == ProbeParameterSet || inputRejected)
        {
            return;
        }

        RouteTable? table = BuildTable();
        if (table is null)
        {
            return;
        }

        if (Lint.IsPresent)
        {
            int findings = 0;
            foreach (RouteLintFinding finding in RouteLinter.Lint(table))
            {
                WriteObject(finding);
                findings++;
            }

            if (findings == 0)
            {
                // Clean must look different from "did nothing": one line on the host, as Write-Host writes it
                // (the information stream, so a script can still capture or silence it).
                WriteInformation(new HostInformationMessage
                {
                    Message = $"No findings: {table.Routers.Count} router(s) on {table.EntryPoints.Count} entry point(s) checked.",
                }, new[] { "PSHOST" });
            }

            return;
        }

        foreach (CompiledRouter rejected in table.Rejected)
        {
            WriteWarning($"Traefik refuses the rule of {rejected.Name}, so it routes nothing: {rejected.Diagnostics[0]}. Test-SniRoute -Lint lists every such problem.");
        }

        IPAddress? client = null;
        if (ClientIP is not null && !IPAddress.TryParse(ClientIP, out client))
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException($"'{ClientIP}' is not an IP address."), ErrorIds.InvalidClientIP, ErrorCategory.InvalidArgument, ClientIP));
        }

        IReadOnlyList<string> entryPoints = EntryPointsToAsk(table);
        foreach (string name in Hostname)
        {
            string? normalized = NormalizeQuery(name);
            if (normalized is null)
            {
                continue;
            }

            // The name as a client sends it: a trailing dot stays in the Host header, which HostRegexp sees.
            string sent = name.EndsWith('.') ? normalized + "." : normalized;
            foreach (string entryPoint in entryPoints)
            {
                bool tls = table.ExpectsTls(entryPoint);
                RouteQuery query = RouteQuery.FromConnection(sent, tls, client, Alpn);
                WriteObject(table.Decide(entryPoint, query, tls).ToResult(normalized, entryPoint, tls));
            }
        }
    }

    protected override void StopProcessing() => stopping.Cancel();

    private RouteSource ReadCluster()
    {
        using ClusterSession session = OpenSession(KubeConfig, Context, null, stopping.Token);
        ClusterRouteApis apis = Required(session, () => ClusterDiscovery.Discover(session));
        if (!apis.TraefikIo && !apis.TraefikContainous)
        {
            WriteWarning($"The cluster at {session.Server} serves no Traefik routes ({apis.Describe()}).");
        }

        RouteSource routes = Required(session, () => ClusterRoutes.Read(session, apis, withBackends: false));
        ShowWarnings(session);
        return routes;
    }

    private RouteTable? BuildTable()
    {
        var source = new RouteSource(resources);
        foreach (string file in ResolveManifestFiles(Path, literal: false))
        {
            string? text = ReadManifestFile(file);
            if (text is not null)
            {
                source.Add(RouteSource.FromText(text, file));
            }
        }

        if (Cluster.IsPresent || Context is not null || KubeConfig is not null)
        {
            source.Add(ReadCluster());
        }

        LoadedRoutes reading = source.Load(RouteUse.Deciding, TraefikVersion);
        foreach (string warning in reading.Warnings)
        {
            WriteWarning(warning);
        }

        WriteErrors(reading.Errors);
        if (reading.Routers.Count == 0)
        {
            if (reading.Errors.Count == 0)
            {
                WriteError(new ErrorRecord(
                    new PSArgumentException("There are no routes to test: pipe ExposedHost or TcpForward objects in, name manifest files with -Path, or read a cluster with -Cluster or -Context."),
                    ErrorIds.NoRoutes, ErrorCategory.InvalidArgument, null)
                {
                    ErrorDetails = new ErrorDetails("There are no routes to test.") { RecommendedAction = "New-ExposedHost ... | Test-SniRoute -Hostname <name>, or Test-SniRoute -Hostname <name> -Path <manifest.yaml>." },
                });
            }

            return null;
        }

        return reading.Table;
    }

    private IReadOnlyList<string> EntryPointsToAsk(RouteTable table)
    {
        IReadOnlyList<string> all = table.EntryPoints.Count > 0 ? table.EntryPoints : new[] { string.Empty };
        if (EntryPoint is not null)
        {
            if (table.EntryPoints.Count > 0 && !table.EntryPoints.Contains(EntryPoint))
            {
                WriteError(new ErrorRecord(
                    new PSArgumentException($"No router names the entry point '{EntryPoint}'; the routes use {string.Join(", ", table.EntryPoints)}."),
                    ErrorIds.UnknownEntryPoint, ErrorCategory.ObjectNotFound, EntryPoint));
                return Array.Empty<string>();
            }

            return new[] { EntryPoint };
        }

        // Entry points that only forward ports (HostSNI(`*`)) would answer every name the same way: leave them out.
        var byName = all.Where(table.RoutesByName).ToList();
        return byName.Count > 0 ? byName : all;
    }

    private string? NormalizeQuery(string name)
    {
        string? problem = HostnameNormalizer.TryNormalize(name, out string normalized);
        if (problem is null && HostnameNormalizer.IsWildcard(normalized))
        {
            problem = "a wildcard is a pattern, not a name a client sends; ask about a name under it";
        }

        if (problem is not null)
        {
            WriteError(ToErrorRecord(new ExposeProblem(ErrorIds.InvalidHostname, ExposeErrorKind.InvalidArgument, $"'{name}' is not a host name to test: {problem}.", name)));
            return null;
        }

        return normalized;
    }

    private void Probe()
    {
        ProbeMode mode = Tcp.IsPresent ? ProbeMode.Tcp : Http.IsPresent ? ProbeMode.Http : ProbeMode.Tls;
        int port = Port != 0 ? Port : mode == ProbeMode.Http ? 80 : 443;
        TimeSpan timeout = TimeSpan.FromSeconds(TimeoutSec);
        for (int i = 0; i < Hostname.Length; i++)
        {
            string? name = NormalizeQuery(Hostname[i]);
            if (name is null)
            {
                continue;
            }

            if (Hostname.Length > 1)
            {
                WriteProgress(new ProgressRecord(1, "Test-SniRoute", $"{mode} probe of {name} at {Server}:{port}") { PercentComplete = i * 100 / Hostname.Length });
            }

            try
            {
                SniProbeResult result = mode switch
                {
                    ProbeMode.Tcp => EndpointProbe.ProbeTcpAsync(name, Server, port, timeout, stopping.Token).GetAwaiter().GetResult(),
                    ProbeMode.Http => EndpointProbe.ProbeHttpAsync(name, Server, port, timeout, stopping.Token).GetAwaiter().GetResult(),
                    _ => EndpointProbe.ProbeTlsAsync(name, Server, port, Alpn ?? DefaultAlpn, timeout, stopping.Token).GetAwaiter().GetResult(),
                };
                WriteObject(result);
            }
            catch (ClusterExposeException exception)
            {
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                WriteError(ToErrorRecord(exception));
            }
        }

        if (Hostname.Length > 1)
        {
            WriteProgress(new ProgressRecord(1, "Test-SniRoute", "Done") { RecordType = ProgressRecordType.Completed });
        }
    }
}

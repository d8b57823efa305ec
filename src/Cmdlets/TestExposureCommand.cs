using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Probes;

namespace ClusterExpose.Commands;

/// <summary>
/// Checks published exposures from the outside, hop by hop (DNS, the cloud side's routing, the TLS
/// certificate a client gets, the HTTP-01 path, each TCP forward), and says which hop is broken.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "Exposure")]
[OutputType(typeof(ExposureCheck))]
public sealed class TestExposureCommand : ClusterExposeCmdlet
{
    private readonly List<IExposeResource> resources = new();
    private readonly CancellationTokenSource stopping = new();
    private bool inputRejected;

    /// <summary>The exposures to check: what New-ExposedHost, Import-ExposeManifest or Get-ExposedHost return.</summary>
    [Parameter(ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public object?[]? InputObject { get; set; }

    /// <summary>Manifest files holding the exposures (ClusterExpose's or hand-written).</summary>
    [Parameter]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Check what ClusterExpose published to the cluster of this kubeconfig context, routed by all of that cluster's routes.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completion.KubeContextCompleter))]
    public string? Context { get; set; }

    /// <summary>The kubeconfig for -Context (KUBECONFIG, then ~/.kube/config, when not given); giving it alone reads its current context.</summary>
    [Parameter]
    public string? KubeConfig { get; set; }

    /// <summary>With -Context or -KubeConfig: the namespace the exposures are read from.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completion.KubeNamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>The cloud side's public address, or a name that resolves to it.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string PublicAddress { get; set; } = string.Empty;

    /// <summary>Probe HTTP on this port instead of each exposure's own.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int? HttpPort { get; set; }

    /// <summary>Probe HTTPS on this port instead of each exposure's own.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int? HttpsPort { get; set; }

    /// <summary>The DNS server to ask (address, or address:port); the system's resolvers when not given.</summary>
    [Parameter]
    public string? DnsServer { get; set; }

    /// <summary>Only these names (each must belong to an exposure checked; a name under a wildcard is checked as it is).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(Completion.RouteArgumentCompleter))]
    public string[] Hostname { get; set; } = Array.Empty<string>();

    /// <summary>Root certificates (PEM or DER files) trusted besides the system's, for a home lab's own CA.</summary>
    [Parameter]
    public string[] TrustedRootPath { get; set; } = Array.Empty<string>();

    /// <summary>Each probe's deadline.</summary>
    [Parameter]
    [ValidateRange(0.1, 300)]
    public double TimeoutSec { get; set; } = 10;

    /// <summary>Probes in flight at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 8;

    protected override void ProcessRecord()
    {
        inputRejected |= !CollectInput(InputObject, resources);
    }

    protected override void EndProcessing()
    {
        // The names come from the exposures; the routing from the files as written (priorities and
        // hand-written rules included, as Test-SniRoute reads them) and the pipeline's objects.
        var routes = new Engine.Routing.RouteSource(resources.ToList());
        foreach (string file in ResolveManifestFiles(Path, literal: false))
        {
            if (ReadManifestFile(file) is string text)
            {
                ImportResult imported = ManifestImporter.Import(text, file);
                imported.Warnings.ToList().ForEach(WriteWarning);
                WriteErrors(imported.Errors);
                resources.AddRange(imported.Resources);
                routes.Add(Engine.Routing.RouteSource.FromText(text, file));
            }
        }

        if (Context is not null || KubeConfig is not null)
        {
            ReadCluster(routes);
        }

        var roots = new X509Certificate2Collection();
        foreach (string path in TrustedRootPath)
        {
            string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            try
            {
                string text = System.IO.File.ReadAllText(file);
                roots.Add(text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
                    ? X509Certificate2.CreateFromPem(text)
                    : new X509Certificate2(System.IO.File.ReadAllBytes(file)));
            }
            catch (Exception exception) when (exception is System.Security.Cryptography.CryptographicException or System.IO.IOException or UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(new System.IO.IOException($"'{path}' is not a certificate file that can be read (PEM or DER): {exception.Message}", exception),
                    ErrorIds.ReadFailed, ErrorCategory.ReadError, path));
                return;
            }
        }

        if (inputRejected)
        {
            return;
        }

        if (resources.Count == 0)
        {
            ReportNoInput("check");
            return;
        }

        IPEndPoint? dnsServer = null;
        if (DnsServer is not null && !TryDnsServer(DnsServer, out dnsServer))
        {
            WriteError(new ErrorRecord(new PSArgumentException($"'{DnsServer}' is not a DNS server's address (an IP address, optionally with :port)."),
                ErrorIds.InvalidDnsServer, ErrorCategory.InvalidArgument, DnsServer));
            return;
        }

        var options = new ExposureCheckOptions
        {
            PublicAddress = PublicAddress,
            HttpPort = HttpPort,
            HttpsPort = HttpsPort,
            DnsServer = dnsServer,
            Hostnames = Hostname,
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
            Parallelism = ThrottleLimit,
            TrustedRoots = roots.Count > 0 ? roots : null,
            Routes = routes,
        };

        // Probes finish on other threads; the pipeline is written from this one, as they come.
        var finished = new BlockingCollection<ExposureCheck>();
        Task<IReadOnlyList<ExposureCheck>> run = Task.Run(async () =>
        {
            try
            {
                return await ExposureChecker.CheckAsync(resources, options, new Progress(finished), stopping.Token).ConfigureAwait(false);
            }
            finally
            {
                finished.CompleteAdding();
            }
        });

        var progress = new ProgressRecord(3, "Checking exposures from the outside", "Looking up names and probing " + PublicAddress);
        int done = 0;
        foreach (ExposureCheck check in finished.GetConsumingEnumerable())
        {
            done++;
            progress.StatusDescription = $"{check.Name} {check.Protocol}: {check.Status}";
            progress.CurrentOperation = $"{done} checked";
            WriteProgress(progress);
        }

        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        try
        {
            // In the order of the exposures and their names, not the order the probes finished in.
            foreach (ExposureCheck check in run.GetAwaiter().GetResult())
            {
                WriteObject(check);
            }
        }
        catch (ClusterExposeException exception)
        {
            WriteError(ToErrorRecord(exception));
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: nothing more to say.
        }
    }

    protected override void StopProcessing() => stopping.Cancel();

    /// <summary>
    /// The exposures ClusterExpose published there, and every IngressRoute(TCP) of the cluster for
    /// the routing check, since another route can shadow a name; an account that may not list them
    /// all (New-ExposeRoleManifest -ReadAllRoutes grants it) is checked against our own routes only.
    /// </summary>
    private void ReadCluster(Engine.Routing.RouteSource routes)
    {
        using Engine.Cluster.ClusterSession session = OpenSession(KubeConfig, Context, Namespace, stopping.Token);
        Engine.Cluster.ClusterRouteApis apis = Required(session, () => Engine.Cluster.ClusterDiscovery.Discover(session));
        Engine.Cluster.ClusterInventory inventory = Required(session, () => Engine.Cluster.ClusterInventory.Read(session, apis, session.Namespace, Array.Empty<ExposeFlavor>()));
        inventory.Model.Warnings.ToList().ForEach(WriteWarning);
        WriteErrors(inventory.Model.Errors);
        resources.AddRange(inventory.Model.Resources);
        try
        {
            routes.Add(Engine.Cluster.ClusterRoutes.Read(session, apis, withBackends: false));
        }
        catch (ClusterExposeException exception) when (exception.ErrorId == ErrorIds.ClusterForbidden)
        {
            WriteWarning($"The routing is checked against ClusterExpose's own routes only: {exception.Message} (New-ExposeRoleManifest -ReadAllRoutes grants reading them all).");
            routes.Resources.AddRange(inventory.Model.Resources);
        }

        ShowWarnings(session);
    }

    private static bool TryDnsServer(string text, out IPEndPoint? endpoint)
    {
        endpoint = null;
        if (IPAddress.TryParse(text.Trim('[', ']'), out IPAddress? address))
        {
            endpoint = new IPEndPoint(address, 53);
            return true;
        }

        if (IPEndPoint.TryParse(text, out IPEndPoint? parsed) && parsed.Port > 0)
        {
            endpoint = parsed;
            return true;
        }

        return false;
    }

    /// <summary>Hands each finished check to the pipeline thread.</summary>
    private sealed class Progress : IProgress<ExposureCheck>
    {
        private readonly BlockingCollection<ExposureCheck> into;

        public Progress(BlockingCollection<ExposureCheck> into) => this.into = into;

        public void Report(ExposureCheck value) => into.Add(value);
    }
}

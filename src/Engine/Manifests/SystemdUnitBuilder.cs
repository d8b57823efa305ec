using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Manifests;

/// <summary>How Start-SniProxy is rendered as a systemd service, for a cloud node without Kubernetes in the way.</summary>
public sealed class SystemdUnitOptions
{
    /// <summary>The pwsh the service runs; the module must be installed for all users (Install-PSResource -Scope AllUsers).</summary>
    public string PwshPath { get; set; } = "/usr/bin/pwsh";

    /// <summary>Where the routes file lives (ConvertTo-SniProxyManifest -As RoutesFile writes it).</summary>
    public string RoutesPath { get; set; } = SniProxyDeploymentBuilder.RoutesMountPath + "/" + SniProxyDeploymentBuilder.RoutesKey;

    /// <summary>Where the module is (a folder or its .psd1, such as a copy of the package under /opt); null imports it by name from PSModulePath.</summary>
    public string? ModulePath { get; set; }

    /// <summary>The account the service runs as: a dedicated one, which systemd creates (DynamicUser) unless it exists.</summary>
    public string User { get; set; } = "clusterexpose";

    public int DrainTimeoutSec { get; set; } = 30;
}

/// <summary>
/// Renders the unit of a headless proxy: <c>Type=exec</c>, the headless runtime settings, SIGTERM
/// for a graceful stop with <c>TimeoutStopSec</c> past the drain, restarts on failure, enough file
/// descriptors for two per relayed connection, the one capability ports below 1024 need, and a
/// dedicated account in a read-only system.
/// </summary>
public static class SystemdUnitBuilder
{
    /// <summary>Descriptors: two per relayed connection at the proxy's default connection limit, with room.</summary>
    public const int FileDescriptors = 65536;

    public static string? Build(IReadOnlyList<IExposeResource> resources, SystemdUnitOptions options, out IReadOnlyList<ExposeProblem> errors)
    {
        var problems = new List<ExposeProblem>();
        errors = problems;
        foreach (var (name, value) in new[] { ("PwshPath", options.PwshPath), ("RoutesPath", options.RoutesPath), ("ModulePath", options.ModulePath ?? "/") })
        {
            if (!value.StartsWith('/') || value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or '%' or '$' or ';'))
            {
                problems.Add(new ExposeProblem(ErrorIds.InvalidProxyOption, ExposeErrorKind.InvalidArgument, $"-{name} '{value}' must be an absolute path without spaces, quotes, '%', '$' or ';' (systemd reads it in a command line).", value));
            }
        }

        if (!KubernetesNames.IsDns1123Label(options.User))
        {
            problems.Add(new ExposeProblem(ErrorIds.InvalidName, ExposeErrorKind.InvalidArgument, $"'{options.User}' is not a user name systemd can create (lowercase letters, digits and '-').", options.User));
        }

        // The routes the service serves are exactly the ones the proxy would build here; check them now.
        ProxyRouteSet? routes = ProxyRouteSet.Build(resources, new SniProxyOptions(), out IReadOnlyList<ExposeProblem> routeErrors);
        problems.AddRange(routeErrors);
        if (problems.Count > 0 || routes is null)
        {
            return null;
        }

        bool privilegedPorts = routes.Listeners.Any(l => l.Port is > 0 and < 1024);
        string ports = string.Join(", ", routes.Listeners.Select(l => $"{l.Kind} {l.Port.ToString(CultureInfo.InvariantCulture)}"));
        string command = $"Import-Module {options.ModulePath ?? "ClusterExpose"}; Start-SniProxy -Path {options.RoutesPath} -Watch -Wait -DrainTimeoutSec {options.DrainTimeoutSec.ToString(CultureInfo.InvariantCulture)}";
        var unit = new StringBuilder()
            .AppendLine("# ClusterExpose SNI proxy: " + string.Join(", ", resources.Select(ManifestConventions.OwnerValue)) + $" on {ports}.")
            .AppendLine(options.ModulePath is null
                ? $"# Install the module for all users (Install-PSResource ClusterExpose -Scope AllUsers) and the routes at {options.RoutesPath};"
                : $"# The module is imported from {options.ModulePath} (a copy of the package; nothing is downloaded) and the routes are at {options.RoutesPath};")
            .AppendLine("# edits to the routes file are picked up without a restart.")
            .AppendLine("[Unit]")
            .AppendLine("Description=ClusterExpose SNI proxy (Start-SniProxy)")
            .AppendLine("Wants=network-online.target")
            .AppendLine("After=network-online.target")
            .AppendLine()
            .AppendLine("[Service]")
            .AppendLine("Type=exec")
            .AppendLine($"User={options.User}")
            .AppendLine("DynamicUser=yes")
            .AppendLine("# PowerShell keeps a cache under HOME: a state folder of the service's own.")
            .AppendLine("StateDirectory=clusterexpose")
            .AppendLine("Environment=HOME=%S/clusterexpose")
            .AppendLine("Environment=DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1")
            .AppendLine("Environment=DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0")
            .AppendLine("# A 1 MiB allocation budget between collections: a long-running proxy's garbage is small, and what it leaves uncollected is resident.")
            .AppendLine($"Environment=DOTNET_GCgen0size={SniProxyDeploymentBuilder.HeadlessGen0Size}")
            .AppendLine("Environment=POWERSHELL_TELEMETRY_OPTOUT=1")
            .AppendLine($"ExecStart={options.PwshPath} -NoProfile -NonInteractive -Command \"{command}\"")
            .AppendLine("# SIGTERM starts the drain; systemd's SIGKILL comes only after it.")
            .AppendLine("KillSignal=SIGTERM")
            .AppendLine("KillMode=mixed")
            .AppendLine($"TimeoutStopSec={(options.DrainTimeoutSec + SniProxyDeploymentBuilder.GraceAfterDrainSec).ToString(CultureInfo.InvariantCulture)}")
            .AppendLine("Restart=on-failure")
            .AppendLine("RestartSec=2")
            .AppendLine($"LimitNOFILE={FileDescriptors.ToString(CultureInfo.InvariantCulture)}");
        if (privilegedPorts)
        {
            unit.AppendLine("AmbientCapabilities=CAP_NET_BIND_SERVICE")
                .AppendLine("CapabilityBoundingSet=CAP_NET_BIND_SERVICE");
        }
        else
        {
            unit.AppendLine("CapabilityBoundingSet=");
        }

        unit.AppendLine("NoNewPrivileges=yes")
            .AppendLine("ProtectSystem=strict")
            .AppendLine("ProtectHome=yes")
            .AppendLine("PrivateTmp=yes")
            .AppendLine()
            .AppendLine("[Install]")
            .AppendLine("WantedBy=multi-user.target");
        return unit.ToString();
    }
}

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;
using static ClusterExpose.Engine.Manifests.ManifestConventions;

namespace ClusterExpose.Engine.Manifests;

/// <summary>How the in-cluster SNI proxy is rendered.</summary>
public sealed class SniProxyDeploymentOptions
{
    public string Name { get; set; } = "clusterexpose-sniproxy";

    public string Namespace { get; set; } = "clusterexpose";

    /// <summary>An image with PowerShell 7.4 or later; it imports the module from the volume the init container fills.</summary>
    public string Image { get; set; } = "mcr.microsoft.com/powershell:7.4-debian-bookworm-slim";

    /// <summary>
    /// The module image (deploy/Dockerfile, built by <c>build.ps1 Image</c>): one version of
    /// ClusterExpose, which the init container copies into the pod, so nothing is downloaded at start.
    /// </summary>
    public string ModuleImage { get; set; } = DefaultModuleImage;

    /// <summary>What <c>build.ps1 Image</c> tags: the module's name and this build's version.</summary>
    public static string DefaultModuleImage => "clusterexpose-module:" + (typeof(SniProxyDeploymentOptions).Assembly.GetName().Version?.ToString(3) ?? "0.1.0");

    /// <summary>How long open connections may finish when the pod is told to stop (SIGTERM).</summary>
    public int DrainTimeoutSec { get; set; } = 30;
}

/// <summary>
/// Renders Start-SniProxy as a DaemonSet with host ports, for cloud clusters without Traefik: every
/// node answers on the public ports and forwards by SNI, Host and port. The routes travel in a
/// ConfigMap as ClusterExpose manifests, which the proxy watches, so editing them reloads the routes
/// without restarting the pods.
/// </summary>
public static class SniProxyDeploymentBuilder
{
    public const string RoutesKey = "routes.yaml";
    public const string RoutesMountPath = "/etc/clusterexpose";

    /// <summary>Where the module image holds the module (deploy/Dockerfile copies it there).</summary>
    public const string ModuleImagePath = "/clusterexpose/ClusterExpose";

    /// <summary>The pod's volume the init container copies the module into and the proxy imports it from.</summary>
    public const string ModulesMountPath = "/modules";

    /// <summary>The pod's /metrics, /healthz and /readyz port.</summary>
    public const int MetricsPort = 9180;

    /// <summary>What the pod gets past its drain before the kubelet kills it.</summary>
    public const int GraceAfterDrainSec = 10;

    /// <summary>
    /// The allocation budget between the proxy's collections (hex bytes, 1 MiB): the garbage of a
    /// burst of connections that no later allocation collects stays resident, so a small budget keeps
    /// an idle proxy's memory close to what its connections really hold.
    /// </summary>
    public const string HeadlessGen0Size = "0x100000";

    public static IReadOnlyList<YDocument> Build(IReadOnlyList<IExposeResource> resources, SniProxyDeploymentOptions options, out IReadOnlyList<ExposeProblem> errors)
    {
        var problems = new List<ExposeProblem>();
        errors = problems;
        if (!KubernetesNames.IsDns1123Label(options.Name) || !KubernetesNames.IsDns1123Label(options.Namespace))
        {
            problems.Add(new ExposeProblem(ErrorIds.InvalidName, ExposeErrorKind.InvalidArgument,
                $"'{options.Namespace}/{options.Name}' is not a valid namespace and name for a DaemonSet (lowercase letters, digits and '-').", options.Name));
        }

        foreach (string image in new[] { options.Image, options.ModuleImage })
        {
            if (string.IsNullOrWhiteSpace(image) || image.Any(char.IsWhiteSpace))
            {
                problems.Add(new ExposeProblem(ErrorIds.InvalidName, ExposeErrorKind.InvalidArgument, $"'{image}' is not a container image reference.", image));
            }
        }

        // The routes the pods serve are exactly the ones the proxy would build here; check them now.
        ProxyRouteSet? routes = ProxyRouteSet.Build(resources, new SniProxyOptions(), out IReadOnlyList<ExposeProblem> routeErrors);
        problems.AddRange(routeErrors);
        string routesYaml = string.Empty;
        if (problems.Count == 0)
        {
            routesYaml = RoutesFile(resources, out IReadOnlyList<ExposeProblem> renderErrors);
            problems.AddRange(renderErrors);
        }

        if (routes is not null && routes.Listeners.Any(l => l.Port == MetricsPort))
        {
            problems.Add(new ExposeProblem(ErrorIds.DuplicatePublicPort, ExposeErrorKind.InvalidArgument,
                $"Port {MetricsPort} is the pod's metrics port; give the exposure another public port.", MetricsPort));
        }

        if (problems.Count > 0 || routes is null)
        {
            return Array.Empty<YDocument>();
        }

        var labels = new YMap().Add("app.kubernetes.io/name", options.Name).Add(ManagedByLabel, ManagedByValue);
        var configMap = new YMap()
            .Add("apiVersion", "v1")
            .Add("kind", "ConfigMap")
            .Add("metadata", Metadata(options, resources))
            .Add("data", new YMap().Add(RoutesKey, new YScalar(routesYaml, YScalarType.String) { Literal = true }));

        var ports = new YSequence();
        foreach (ListenerSpec listener in routes.Listeners.OrderBy(l => l.Port))
        {
            ports.Add(new YMap()
                .Add("name", PortName(listener))
                .Add("containerPort", listener.Port)
                .Add("hostPort", listener.Port)
                .Add("protocol", "TCP"));
        }

        // The module comes from the init container's copy, by path: the pod downloads nothing, and
        // runs exactly the version in the module image.
        string script = string.Join("; ",
            "$ErrorActionPreference = 'Stop'",
            $"Import-Module {ModulesMountPath}/ClusterExpose/ClusterExpose.psd1",
            $"Start-SniProxy -Path {RoutesMountPath}/{RoutesKey} -Watch -Wait -DrainTimeoutSec {options.DrainTimeoutSec} -MetricsPort {MetricsPort} -MetricsAddress 0.0.0.0");
        // Metrics are served on the pod's address only (no host port): for the cluster's Prometheus and the kubelet's probe.
        ports.Add(new YMap().Add("name", "metrics").Add("containerPort", MetricsPort).Add("protocol", "TCP"));
        var container = new YMap()
            .Add("name", "sniproxy")
            .Add("image", options.Image)
            .Add("command", new YSequence().Add("pwsh").Add("-NoProfile").Add("-NonInteractive").Add("-Command").Add(script))
            .Add("env", new YSequence()
                .Add(new YMap().Add("name", "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS").Add("value", "1"))
                .Add(new YMap().Add("name", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit").Add("value", "0"))
                .Add(new YMap().Add("name", "DOTNET_GCgen0size").Add("value", HeadlessGen0Size))
                .Add(new YMap().Add("name", "POWERSHELL_TELEMETRY_OPTOUT").Add("value", "1")))
            .Add("ports", ports)
            .Add("readinessProbe", new YMap()
                .Add("httpGet", new YMap().Add("path", "/readyz").Add("port", "metrics"))
                .Add("periodSeconds", 10))
            .Add("livenessProbe", new YMap()
                .Add("httpGet", new YMap().Add("path", "/healthz").Add("port", "metrics"))
                .Add("initialDelaySeconds", 60)
                .Add("periodSeconds", 20))
            .Add("resources", new YMap()
                .Add("requests", new YMap().Add("cpu", "50m").Add("memory", "128Mi"))
                .Add("limits", new YMap().Add("memory", "512Mi")))
            .Add("securityContext", new YMap()
                .Add("allowPrivilegeEscalation", false)
                .Add("capabilities", new YMap().Add("drop", new YSequence().Add("ALL")).Add("add", new YSequence().Add("NET_BIND_SERVICE"))))
            .Add("volumeMounts", new YSequence()
                .Add(new YMap().Add("name", "routes").Add("mountPath", RoutesMountPath).Add("readOnly", true))
                .Add(new YMap().Add("name", "modules").Add("mountPath", ModulesMountPath).Add("readOnly", true)));

        var moduleCopy = new YMap()
            .Add("name", "module")
            .Add("image", options.ModuleImage)
            .Add("command", new YSequence().Add("cp").Add("-R").Add(ModuleImagePath).Add(ModulesMountPath + "/"))
            .Add("resources", new YMap()
                .Add("requests", new YMap().Add("cpu", "10m").Add("memory", "16Mi"))
                .Add("limits", new YMap().Add("memory", "64Mi")))
            .Add("securityContext", new YMap()
                .Add("allowPrivilegeEscalation", false)
                .Add("capabilities", new YMap().Add("drop", new YSequence().Add("ALL"))))
            .Add("volumeMounts", new YSequence().Add(new YMap().Add("name", "modules").Add("mountPath", ModulesMountPath)));

        var daemonSet = new YMap()
            .Add("apiVersion", "apps/v1")
            .Add("kind", "DaemonSet")
            .Add("metadata", Metadata(options, resources))
            .Add("spec", new YMap()
                .Add("selector", new YMap().Add("matchLabels", new YMap().Add("app.kubernetes.io/name", options.Name)))
                .Add("updateStrategy", new YMap().Add("type", "RollingUpdate"))
                .Add("template", new YMap()
                    .Add("metadata", new YMap()
                        .Add("labels", labels)
                        .Add("annotations", new YMap()
                            .Add("prometheus.io/scrape", "true")
                            .Add("prometheus.io/port", MetricsPort.ToString(CultureInfo.InvariantCulture))
                            .Add("prometheus.io/path", "/metrics")))
                    .Add("spec", new YMap()
                        // SIGTERM starts the drain; the kubelet's SIGKILL must come after it, with room for the last resets.
                        .Add("terminationGracePeriodSeconds", options.DrainTimeoutSec + GraceAfterDrainSec)
                        .Add("initContainers", new YSequence().Add(moduleCopy))
                        .Add("containers", new YSequence().Add(container))
                        .Add("volumes", new YSequence()
                            .Add(new YMap().Add("name", "routes").Add("configMap", new YMap().Add("name", options.Name)))
                            .Add(new YMap().Add("name", "modules").Add("emptyDir", new YMap().Add("sizeLimit", "128Mi")))))));

        return new[]
        {
            new YDocument(configMap, "The routes the proxy serves, as ClusterExpose manifests; it reloads them when the file changes."),
            new YDocument(daemonSet, "Start-SniProxy on every node, on host ports: for clusters whose ports 80 and 443 are not taken by an ingress.\n"
                + $"The init container copies ClusterExpose from the module image ({options.ModuleImage}; build it with build.ps1 Image) into the pod: nothing is downloaded at start."),
        };
    }

    /// <summary>The routes file a headless proxy serves (the ConfigMap's content): ClusterExpose manifests, which Traefik never reads.</summary>
    public static string RoutesFile(IReadOnlyList<IExposeResource> resources, out IReadOnlyList<ExposeProblem> errors) =>
        ManifestBuilder.BuildYaml(resources, new ManifestOptions { ForProxyRoutes = true }, out errors);

    private static YMap Metadata(SniProxyDeploymentOptions options, IReadOnlyList<IExposeResource> resources) => new YMap()
        .Add("name", options.Name)
        .Add("namespace", options.Namespace)
        .Add("labels", new YMap().Add("app.kubernetes.io/name", options.Name).Add(ManagedByLabel, ManagedByValue))
        .Add("annotations", new YMap().Add(OwnerAnnotation, string.Join(",", resources.Select(OwnerValue))));

    /// <summary>Port names are IANA service names: at most 15 characters, lowercase letters, digits and '-'.</summary>
    private static string PortName(ListenerSpec listener) => listener.Kind switch
    {
        ListenerKind.Tls => "https-" + listener.Port.ToString(CultureInfo.InvariantCulture),
        ListenerKind.Http => "http-" + listener.Port.ToString(CultureInfo.InvariantCulture),
        _ => "tcp-" + listener.Port.ToString(CultureInfo.InvariantCulture),
    };
}

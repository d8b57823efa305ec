using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose.Engine.Manifests;

/// <summary>Names, labels and annotations every rendered object follows; the importer reads the same ones back.</summary>
public static class ManifestConventions
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "clusterexpose";

    /// <summary>Names the model object an object belongs to, as <c>ExposedHost/name</c> or <c>TcpForward/name</c>.</summary>
    public const string OwnerAnnotation = "clusterexpose.io/owner";

    /// <summary>The flavor the objects were rendered for; a traefik.io rule alone cannot tell v2 syntax from v3.</summary>
    public const string FlavorAnnotation = "clusterexpose.io/flavor";

    /// <summary>The public ports, which live in Traefik's entry points rather than in any object of ours.</summary>
    public const string PublicPortsAnnotation = "clusterexpose.io/public-ports";

    /// <summary>
    /// On the shared k3s HelmChartConfig: which owner declared which entry point
    /// (<c>entrypoint=namespace/TcpForward/name</c>, comma-separated), since its values cannot say.
    /// </summary>
    public const string EntryPointsAnnotation = "clusterexpose.io/entry-points";

    /// <summary>
    /// On the shared k3s HelmChartConfig when ClusterExpose created it: only then may removing the
    /// last forward delete the object (and only when nothing but its entry points was in it). A
    /// HelmChartConfig someone else made holds their Traefik settings and is never deleted.
    /// </summary>
    public const string CreatedAnnotation = "clusterexpose.io/created";

    /// <summary>On the Service when legacy v1 Endpoints were written beside the EndpointSlices.</summary>
    public const string LegacyEndpointsAnnotation = "clusterexpose.io/legacy-endpoints";

    /// <summary>Keeps the EndpointSlice mirroring controller from copying our Endpoints into a second slice.</summary>
    public const string SkipMirrorLabel = "endpointslice.kubernetes.io/skip-mirror";

    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string EndpointSliceManagedByLabel = "endpointslice.kubernetes.io/managed-by";

    /// <summary>Never the controller's own value (endpointslice-controller.k8s.io), or the controller would take the slice over.</summary>
    public const string EndpointSliceManagedByValue = "clusterexpose";

    public const string HttpPortName = "http";
    public const string HttpsPortName = "https";
    public const string TcpPortName = "tcp";

    public const string HttpRouteSuffix = "-http";
    public const string TlsRouteSuffix = "-https";
    public const string TcpRouteSuffix = "-tcp";
    public const string ProxyProtocolTransportSuffix = "-proxy-protocol";

    public const string TraefikApiGroup = "traefik.io";
    public const string LegacyTraefikApiGroup = "traefik.containo.us";
    public const string TraefikApiVersion = "v1alpha1";
    public const string GatewayApiGroup = "gateway.networking.k8s.io";
    public const string HelmChartConfigApiVersion = "helm.cattle.io/v1";

    /// <summary>k3s reads extra values for its Traefik chart from the HelmChartConfig of this name in kube-system.</summary>
    public const string HelmChartConfigName = "traefik";

    public static string OwnerValue(IExposeResource resource) => resource switch
    {
        ExposedHost => "ExposedHost/" + resource.Name,
        _ => "TcpForward/" + resource.Name,
    };

    /// <summary>
    /// The owner as named on an object shared by every namespace (the k3s HelmChartConfig): with the
    /// namespace first, so same-named forwards of two namespaces stay two owners.
    /// </summary>
    public static string SharedOwnerValue(IExposeResource resource) => SharedOwnerValue(resource.Namespace, OwnerValue(resource));

    public static string SharedOwnerValue(string namespaceName, string owner) => namespaceName + "/" + owner;

    /// <summary>
    /// The entry points Traefik's Helm chart declares itself, with the port each listens on inside the
    /// pod and the public port of those it exposes. A forward's entry point in the k3s HelmChartConfig
    /// must take none of these names (its settings would replace the chart's) and none of the public ports.
    /// </summary>
    public static readonly IReadOnlyList<(string Name, int ContainerPort, int? PublicPort)> TraefikChartEntryPoints = new (string, int, int?)[]
    {
        ("web", 8000, 80),
        ("websecure", 8443, 443),
        ("traefik", 8080, null),
        ("metrics", 9100, null),
    };

    /// <summary>
    /// Ports the chart's own entry points listen on inside the pod: those above, and 9000, where
    /// charts before Traefik v3 put the dashboard entry point.
    /// </summary>
    private static readonly HashSet<int> TraefikChartContainerPorts = new(TraefikChartEntryPoints.Select(e => e.ContainerPort).Append(9000));

    /// <summary>
    /// The port a forward's entry point listens on inside the Traefik pod. The chart runs unprivileged,
    /// so a public port below 1024 listens on 10000 + port; a public port the chart's own entry points
    /// listen on inside the pod (8080 is a common one to forward) listens on 20000 + port; any other
    /// listens on the public port itself.
    /// </summary>
    public static int TraefikContainerPort(int publicPort) =>
        publicPort < 1024 ? 10000 + publicPort
        : TraefikChartContainerPorts.Contains(publicPort) ? 20000 + publicPort
        : publicPort;
}

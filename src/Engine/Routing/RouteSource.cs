using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using ClusterExpose.Engine.Manifests;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Routing;

/// <summary>What a route set is loaded for.</summary>
public enum RouteUse
{
    /// <summary>Deciding where names go (Test-SniRoute, -Lint, completion): where routes lead does not change the answer.</summary>
    Deciding,

    /// <summary>Serving connections in this process: every router needs its backend, and what cannot be served is said.</summary>
    Serving,
}

/// <summary>Routers, each with its backend where the source names one, the compiled table, and what loading found.</summary>
public sealed class LoadedRoutes
{
    internal LoadedRoutes(IReadOnlyList<RouterDefinition> routers, IReadOnlyList<ServiceTarget> targets, IReadOnlyList<string> warnings, IReadOnlyList<ExposeProblem> errors)
    {
        Routers = routers;
        Targets = targets;
        Warnings = warnings;
        Errors = errors;
        Table = RouteTable.Build(routers);
    }

    public IReadOnlyList<RouterDefinition> Routers { get; }

    /// <summary>Where the Services the routers name lead: what a proxy opens listeners for.</summary>
    public IReadOnlyList<ServiceTarget> Targets { get; }

    public IReadOnlyList<string> Warnings { get; }

    public IReadOnlyList<ExposeProblem> Errors { get; }

    public RouteTable Table { get; }
}

/// <summary>
/// The one loader of routes. Every source (model objects, manifest files written by anyone, a live
/// cluster's objects) is collected here, and <see cref="Load"/> turns the lot into Traefik routers
/// that carry their backend: model objects are rendered with <see cref="ManifestBuilder"/> exactly as
/// they would be applied; Traefik route objects are read as written; each router is joined to the
/// Service it names (namespace, name, HTTP or TCP) through a <see cref="ServiceTarget"/>.
/// </summary>
public sealed class RouteSource
{
    public RouteSource(IEnumerable<IExposeResource>? resources = null) => Resources.AddRange(resources ?? Enumerable.Empty<IExposeResource>());

    public List<IExposeResource> Resources { get; } = new();

    /// <summary>IngressRoute and IngressRouteTCP objects from files and clusters, read as written.</summary>
    public List<TraefikRouteObject> RouteObjects { get; } = new();

    /// <summary>Where the Services of files and clusters lead.</summary>
    public List<ServiceTarget> Targets { get; } = new();

    /// <summary>About the routes themselves: every use shows them.</summary>
    public List<string> Warnings { get; } = new();

    public List<ExposeProblem> Errors { get; } = new();

    /// <summary>About where routes lead (Services skipped, objects left over): only serving needs them.</summary>
    public List<string> BackendWarnings { get; } = new();

    /// <summary>Services whose addresses cannot be used: they stop a proxy, never a question about names.</summary>
    public List<ExposeProblem> BackendErrors { get; } = new();

    /// <summary>Nothing that routes was given at all.</summary>
    public bool IsEmpty => Resources.Count == 0 && RouteObjects.Count == 0;

    public static RouteSource FromFile(string path) => FromText(File.ReadAllText(path), path);

    /// <summary>Reads one manifest (within the bounds untrusted input gets); problems are collected, never thrown.</summary>
    public static RouteSource FromText(string yaml, string source)
    {
        var read = new RouteSource();
        if (ManifestImporter.ReadDocuments(yaml, source, read.Errors) is { } documents)
        {
            read.AddDocuments(documents, source);
            if (read.IsEmpty && read.Errors.Count == 0)
            {
                read.Warnings.Add($"{source} holds no IngressRoute or IngressRouteTCP objects, and no Service that routes name.");
            }
        }

        return read;
    }

    /// <summary>Objects already parsed, such as a cluster's; <paramref name="source"/> names where they came from.</summary>
    public static RouteSource FromObjects(IReadOnlyList<YNode> objects, string source)
    {
        var read = new RouteSource();
        read.AddDocuments(objects, source);
        return read;
    }

    /// <summary>Adds what another source holds: the pipeline's objects, several files and a cluster make one set.</summary>
    public void Add(RouteSource other)
    {
        Resources.AddRange(other.Resources);
        RouteObjects.AddRange(other.RouteObjects);
        Targets.AddRange(other.Targets);
        Warnings.AddRange(other.Warnings);
        Errors.AddRange(other.Errors);
        BackendWarnings.AddRange(other.BackendWarnings);
        BackendErrors.AddRange(other.BackendErrors);
    }

    /// <summary>
    /// The routers of every source, read as Traefik <paramref name="version"/> reads them (null: v2
    /// only when every source says v2), each joined to its backend; and the compiled table.
    /// </summary>
    public LoadedRoutes Load(RouteUse use, TraefikVersion? version = null)
    {
        bool serving = use == RouteUse.Serving;
        var errors = new List<ExposeProblem>(Errors);
        var warnings = new List<string>(Warnings);
        if (serving)
        {
            errors.AddRange(BackendErrors);
            warnings.AddRange(BackendWarnings);
        }

        // Served here, a model object means what the model says whatever Traefik it is written for;
        // a LoadBalancer forward is a port forward all the same.
        IReadOnlyList<IExposeResource> models = serving ? Resources.Select(AsServed).ToList() : Resources;
        var reading = new RouterReading();
        IReadOnlyList<TraefikRouteObject> modelRoutes = models.Count > 0 ? RouterReader.FromResources(models, reading, forLocalForwarding: serving, routingOnly: !serving) : Array.Empty<TraefikRouteObject>();
        TraefikVersion fileVersion = version ?? RouterReader.InferVersion(RouteObjects, serving ? Array.Empty<IExposeResource>() : Resources);
        RouterReader.ReadRouters(RouteObjects, fileVersion, reading);
        RouterReader.ReadRouters(modelRoutes, serving ? TraefikVersion.V3 : fileVersion, reading);
        errors.AddRange(reading.Errors);
        warnings.AddRange(reading.Warnings);

        var targets = Targets.Concat(models.Select(ServiceTarget.Of)).ToList();
        var byService = new Dictionary<(string Namespace, string Service, RouterProtocol Protocol), RouteBackend>();
        foreach (ServiceTarget target in targets)
        {
            foreach (ServicePortTarget port in target.Ports)
            {
                var endpoints = target.Addresses.Select(a => new IPEndPoint(IPAddress.Parse(a), port.TargetPort)).ToList();
                byService[(target.Namespace, target.Name, port.Protocol)] = new RouteBackend(endpoints, port.Protocol == RouterProtocol.Http ? ProxyProtocolVersion.None : port.ProxyProtocol);
            }
        }

        var routers = new List<RouterDefinition>(reading.Routers.Count);
        foreach (RouterDefinition router in reading.Routers)
        {
            string? unserved = router.Tls == RouterTls.Terminate ? "has Traefik terminate TLS; a forwarder of bytes terminates nothing"
                : router.Middlewares.Count > 0 ? $"names middlewares ({string.Join(", ", router.Middlewares)}), which only Traefik applies; forwarding without them could pass what they stop"
                : router.Service is null ? "names no Service"
                : null;
            RouteBackend? backend = null;
            if (unserved is null && !byService.TryGetValue((router.Namespace, router.Service!, router.Protocol), out backend))
            {
                unserved = $"names Service {router.Namespace}/{router.Service}, which the routes give no addresses for";
            }

            if (backend is not null)
            {
                routers.Add(router.WithBackend(backend));
                continue;
            }

            routers.Add(router);
            if (serving)
            {
                // Said once, by name, at load: the router still takes part in the decision (so names
                // go where Traefik would send them), and the connections it wins are refused.
                warnings.Add($"{router.Name} ({router.Source}) {unserved}; connections it wins are refused.");
            }
        }

        return new LoadedRoutes(routers, targets, warnings, errors);
    }

    private void AddDocuments(IReadOnlyList<YNode> documents, string source)
    {
        RouteObjects.AddRange(RouterReader.FindRouteObjects(documents, source));
        if (!documents.Any(IsService))
        {
            return;
        }

        ImportResult imported = ManifestImporter.ImportForRouting(documents, source);
        Resources.AddRange(imported.Resources);
        Errors.AddRange(imported.Errors);
        BackendWarnings.AddRange(imported.Warnings);
        foreach (ServiceTarget target in imported.Targets)
        {
            if (target.Addresses.Count == 0 || target.Addresses.Any(a => !AddressRules.TryNormalize(a, out _)))
            {
                BackendErrors.Add(new ExposeProblem(ErrorIds.InvalidTargetAddress, ExposeErrorKind.InvalidData,
                    $"Service {target.Namespace}/{target.Name} in {source} has " + (target.Addresses.Count == 0 ? "no target address (no EndpointSlice or Endpoints)." : $"an endpoint address that is not an IP address ({string.Join(", ", target.Addresses)})."), target.Name));
                continue;
            }

            Targets.Add(target);
        }
    }

    private static bool IsService(YNode document) => document is YMap map
        && (map.Text("kind") == "Service" || (map.Text("kind") == "List" && map.Sequence("items") is { } items && items.Any(IsService)));

    private static IExposeResource AsServed(IExposeResource resource)
    {
        IExposeResource served = Cluster.ModelRetarget.WithFlavor(resource, ExposeFlavor.TraefikV3);
        return served is TcpForward { Mode: TcpForwardMode.LoadBalancer } f
            ? new TcpForward(f.Name, f.Port, f.TargetAddress, f.TargetPort, f.Namespace, TcpForwardMode.TraefikEntryPoint, f.EntryPoint.Length > 0 ? f.EntryPoint : null, f.ProxyProtocol, f.Flavor)
            : served;
    }
}

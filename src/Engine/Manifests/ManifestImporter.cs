using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ClusterExpose.Engine.Rules;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;
using static ClusterExpose.Engine.Manifests.ManifestConventions;

namespace ClusterExpose.Engine.Manifests;

/// <summary>What reading a manifest produced: model objects, warnings for what it skipped, and errors.</summary>
public sealed class ImportResult
{
    public List<IExposeResource> Resources { get; } = new();

    public List<string> Warnings { get; } = new();

    public List<ExposeProblem> Errors { get; } = new();

    /// <summary>When read for routing: where the routes of each Traefik-routed Service lead (its routers come from the file as written).</summary>
    public List<ServiceTarget> Targets { get; } = new();
}

/// <summary>
/// Reads multi-document YAML (ours or hand-written) back into the model. A selectorless Service is
/// the anchor: its endpoints give the addresses, the routes that point at it give the names and
/// entry points. Everything not consumed that way is reported as a warning, never dropped silently.
/// </summary>
public sealed class ManifestImporter
{
    private readonly string source;
    private readonly ImportResult result = new();
    private readonly List<KubeObject> objects = new();
    private readonly Dictionary<(string, string), List<KubeObject>> routesByService = new();
    private readonly Dictionary<(string, string), List<KubeObject>> slicesByService = new();
    private readonly Dictionary<(string, string), List<KubeObject>> endpointsByName = new();
    private readonly Dictionary<(string, string), List<KubeObject>> transportsByName = new();

    private readonly bool forRouting;

    private ManifestImporter(string source, bool forRouting = false)
    {
        this.source = source;
        this.forRouting = forRouting;
    }

    public static ImportResult Import(string yaml, string source)
    {
        var importer = new ManifestImporter(source);
        importer.Run(yaml);
        return importer.result;
    }

    private static string LineOf(KubeObject kubeObject) => kubeObject.Line > 0 ? $" (line {kubeObject.Line})" : string.Empty;

    /// <summary>Reads objects already parsed, such as those a cluster returned.</summary>
    public static ImportResult Import(IReadOnlyList<YNode> documents, string source)
    {
        var importer = new ManifestImporter(source);
        importer.Run(documents);
        return importer.result;
    }

    /// <summary>
    /// Reads a routes file for the proxy: a Service that Traefik routes name gives a
    /// <see cref="ServiceTarget"/> (its routers are taken from the file as written, whatever their
    /// rules say), any other Service a model object as <see cref="Import(IReadOnlyList{YNode}, string)"/> gives.
    /// </summary>
    public static ImportResult ImportForRouting(IReadOnlyList<YNode> documents, string source)
    {
        var importer = new ManifestImporter(source, forRouting: true);
        importer.Run(documents);
        return importer.result;
    }

    /// <summary>The documents of a manifest, read within the bounds untrusted input gets; null with the error added when it cannot be read.</summary>
    public static IReadOnlyList<YNode>? ReadDocuments(string yaml, string source, List<ExposeProblem> errors)
    {
        IReadOnlyList<YNode> documents = YamlText.ReadBounded(yaml, out YamlReadFailure? failure);
        if (failure is { LimitExceeded: true })
        {
            errors.Add(new ExposeProblem(ErrorIds.ManifestTooComplex, ExposeErrorKind.InvalidData,
                $"{source} was not read: {failure.Message}", source, "Kubernetes manifests need neither deep nesting nor large alias expansions; check where the file came from."));
            return null;
        }

        if (failure is not null)
        {
            errors.Add(new ExposeProblem(ErrorIds.ManifestSyntaxError, ExposeErrorKind.InvalidData,
                $"{source} is not valid YAML: {failure.Message}", source));
            return null;
        }

        return documents;
    }

    private void Run(string yaml)
    {
        if (ReadDocuments(yaml, source, result.Errors) is { } documents)
        {
            Run(documents);
        }
    }

    private void Run(IReadOnlyList<YNode> documents)
    {
        foreach (YNode document in documents)
        {
            Collect(document);
        }

        if (objects.Count == 0)
        {
            result.Errors.Add(new ExposeProblem(ErrorIds.ManifestEmpty, ExposeErrorKind.InvalidData,
                $"{source} holds no Kubernetes objects.", source));
            return;
        }

        IndexObjects();
        Dictionary<string, int> helmEntryPoints = ReadHelmChartConfigs();
        foreach (KubeObject service in objects.Where(o => o.Is("", "Service")).ToList())
        {
            ImportService(service, helmEntryPoints);
        }

        foreach (KubeObject unused in objects.Where(o => !o.Used))
        {
            result.Warnings.Add(IsKnownKind(unused)
                ? $"{unused}{LineOf(unused)} does not belong to a selectorless Service in {source}; skipped."
                : $"{unused}{LineOf(unused)} is a kind ClusterExpose does not model; skipped.");
        }
    }

    /// <summary>
    /// Indexes the objects once by what a Service looks them up by (routes by their target Services,
    /// slices by their service-name label, Endpoints and transports by name), in document order, so
    /// reading a manifest is linear in its size rather than a scan of every object per Service.
    /// </summary>
    private void IndexObjects()
    {
        foreach (KubeObject item in objects)
        {
            foreach (string target in RouteTargets(item).Distinct(StringComparer.Ordinal))
            {
                Append(routesByService, item.Namespace, target, item);
            }

            if (item.Kind == "EndpointSlice" && item.Label(ServiceNameLabel) is { } serviceName)
            {
                Append(slicesByService, item.Namespace, serviceName, item);
            }
            else if (item.Is("", "Endpoints"))
            {
                Append(endpointsByName, item.Namespace, item.Name, item);
            }
            else if (item.Kind == "ServersTransportTCP")
            {
                Append(transportsByName, item.Namespace, item.Name, item);
            }
        }
    }

    private static void Append(Dictionary<(string, string), List<KubeObject>> index, string namespaceName, string name, KubeObject item)
    {
        if (!index.TryGetValue((namespaceName, name), out List<KubeObject>? list))
        {
            index[(namespaceName, name)] = list = new List<KubeObject>();
        }

        list.Add(item);
    }

    private static List<KubeObject> Indexed(Dictionary<(string, string), List<KubeObject>> index, string namespaceName, string name) =>
        index.TryGetValue((namespaceName, name), out List<KubeObject>? found) ? found : new List<KubeObject>();

    private void Collect(YNode document)
    {
        if (document is YScalar { Type: YScalarType.Null })
        {
            return;
        }

        if (document is not YMap map || map.Text("apiVersion") is null || map.Text("kind") is null)
        {
            result.Warnings.Add($"A document at line {document.Line} of {source} is not a Kubernetes object (no apiVersion and kind); skipped.");
            return;
        }

        if (map.Text("kind") == "List" && map.Sequence("items") is { } items)
        {
            foreach (YNode item in items)
            {
                Collect(item);
            }

            return;
        }

        objects.Add(new KubeObject(map));
    }

    private Dictionary<string, int> ReadHelmChartConfigs()
    {
        var exposed = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (KubeObject config in objects.Where(o => o.Kind == "HelmChartConfig" && o.Group == "helm.cattle.io"))
        {
            config.Used = true;
            string? values = config.Root.Text("spec", "valuesContent");
            if (values is null)
            {
                continue;
            }

            IReadOnlyList<YNode> parsed = YamlText.Read(values, out string? error);
            if (error is not null || parsed.Count == 0 || parsed[0] is not YMap root)
            {
                result.Warnings.Add($"{config}: spec.valuesContent is not a YAML mapping; its entry points were not read.");
                continue;
            }

            foreach (var port in root.Map("ports") ?? new YMap())
            {
                if (port.Value is YMap settings && (settings["exposedPort"] ?? settings["port"]) is YScalar value && value.TryGetInt(out int number))
                {
                    exposed[port.Key] = number;
                }
            }
        }

        return exposed;
    }

    private void ImportService(KubeObject service, Dictionary<string, int> helmEntryPoints)
    {
        service.Used = true;
        YMap spec = service.Root.Map("spec") ?? new YMap();
        if (spec.Map("selector") is { Count: > 0 })
        {
            result.Warnings.Add($"{service} has a selector: it serves pods of the cloud cluster, not the private one; skipped.");
            return;
        }

        var servicePorts = (spec.Sequence("ports") ?? new YSequence()).OfType<YMap>().ToList();
        var endpointPorts = new Dictionary<string, int>(StringComparer.Ordinal);
        var addresses = new List<string>();
        ReadEndpoints(service, endpointPorts, addresses);

        var routes = Indexed(routesByService, service.Namespace, service.Name);
        routes.ForEach(r => r.Used = true);
        var httpRoutes = routes.Where(r => r.Kind is "IngressRoute" or "HTTPRoute").ToList();
        var tlsRoutes = routes.Where(r => r.Kind == "TLSRoute" || (r.Kind == "IngressRouteTCP" && r.Root.Map("spec")?.Map("tls") is not null)).ToList();
        var tcpRoutes = routes.Where(r => r.Kind == "TCPRoute" || (r.Kind == "IngressRouteTCP" && r.Root.Map("spec")?.Map("tls") is null)).ToList();

        string? owner = service.Annotation(OwnerAnnotation);
        bool isForward = owner?.StartsWith("TcpForward/", StringComparison.Ordinal) == true
            || (owner is null && httpRoutes.Count == 0 && tlsRoutes.Count == 0 && (tcpRoutes.Count > 0 || spec.Text("type") == "LoadBalancer"));
        Dictionary<string, int> publicPorts = ParsePublicPorts(service.Annotation(PublicPortsAnnotation));

        int TargetPortOf(YNode? reference)
        {
            YMap? servicePort = servicePorts.FirstOrDefault(p =>
                (reference is YScalar { Type: YScalarType.Integer } number && p.Text("port") == number.Value)
                || (reference is YScalar { Type: YScalarType.String } named && p.Text("name") == named.Value));
            servicePort ??= servicePorts.Count == 1 && reference is null ? servicePorts[0] : null;
            if (servicePort?.Text("name") is { } name && endpointPorts.TryGetValue(name, out int endpointPort))
            {
                return endpointPort;
            }

            if (servicePorts.Count == 1 && endpointPorts.Count == 1)
            {
                return endpointPorts.Values.First();
            }

            string? fallback = servicePort?.Text("targetPort") ?? servicePort?.Text("port") ?? (reference as YScalar)?.Value;
            return int.TryParse(fallback, NumberStyles.None, CultureInfo.InvariantCulture, out int port) ? port : 0;
        }

        // For the proxy, a Service Traefik routes name is served by those routers as written.
        bool asTarget = forRouting && routes.Any(r => r.Group is TraefikApiGroup or LegacyTraefikApiGroup);
        if (isForward)
        {
            ImportForward(service, spec, tcpRoutes, addresses, publicPorts, helmEntryPoints, TargetPortOf, asTarget);
        }
        else if (httpRoutes.Count > 0 || tlsRoutes.Count > 0)
        {
            ImportHost(service, httpRoutes, tlsRoutes, addresses, publicPorts, TargetPortOf, asTarget);
        }
        else
        {
            result.Warnings.Add($"{service} is not the target of any route in {source}; skipped.");
        }
    }

    private void ImportHost(KubeObject service, List<KubeObject> httpRoutes, List<KubeObject> tlsRoutes, List<string> addresses, Dictionary<string, int> publicPorts, Func<YNode?, int> targetPortOf, bool asTarget)
    {
        KubeObject? http = httpRoutes.FirstOrDefault();
        KubeObject? tls = tlsRoutes.FirstOrDefault();
        int httpPort = publicPorts.TryGetValue(HttpPortName, out int annotatedHttp) ? annotatedHttp : ExposedHost.DefaultHttpPort;
        int httpsPort = publicPorts.TryGetValue(HttpsPortName, out int annotatedHttps) ? annotatedHttps : ExposedHost.DefaultHttpsPort;
        int targetHttpPort = http is null ? ExposedHost.DefaultHttpPort : targetPortOf(BackendPort(http));
        int targetHttpsPort = tls is null ? ExposedHost.DefaultHttpsPort : targetPortOf(BackendPort(tls));
        string? httpEntryPoint = http is null ? null : EntryPointOf(http);
        string? httpsEntryPoint = tls is null ? null : EntryPointOf(tls);
        ProxyProtocolVersion proxyProtocol = tls is null ? ProxyProtocolVersion.None : ProxyProtocolOf(tls);
        if (asTarget)
        {
            result.Targets.Add(new ServiceTarget(service.Namespace, service.Name, addresses, new[]
            {
                new ServicePortTarget(Routing.RouterProtocol.Http, false, httpEntryPoint ?? ExposedHost.DefaultHttpEntryPoint, httpPort, targetHttpPort, ProxyProtocolVersion.None),
                new ServicePortTarget(Routing.RouterProtocol.Tcp, true, httpsEntryPoint ?? ExposedHost.DefaultHttpsEntryPoint, httpsPort, targetHttpsPort, proxyProtocol),
            }));
            return;
        }

        var names = new List<string>();
        var httpNames = new List<string>();
        var tlsNames = new List<string>();
        RuleSyntax? evident = null;
        bool problem = false;
        foreach (KubeObject route in httpRoutes.Concat(tlsRoutes))
        {
            bool sni = route.Kind is "IngressRouteTCP" or "TLSRoute";
            var found = sni ? tlsNames : httpNames;
            if (route.Kind is "IngressRouteTCP" && route.Root.Text("spec", "tls", "passthrough") != "true")
            {
                result.Warnings.Add($"{route} terminates TLS in the cloud cluster; ClusterExpose forwards TLS untouched, so it is imported as passthrough.");
            }

            foreach (string hostname in HostnamesOf(route, sni, ref evident, ref problem))
            {
                found.Add(hostname);
                if (!names.Contains(hostname))
                {
                    names.Add(hostname);
                }
            }
        }

        if (problem)
        {
            return;
        }

        if (httpRoutes.Count > 0 && tlsRoutes.Count > 0 && !new HashSet<string>(httpNames).SetEquals(tlsNames))
        {
            result.Warnings.Add($"The HTTP and TLS routes of {service} name different hosts; imported all of them ({string.Join(", ", names)}).");
        }

        if (tlsRoutes.Count == 0)
        {
            result.Warnings.Add($"{service} has no TLS route; HTTPS for its names does not reach the private cluster until one is published.");
        }

        if (httpRoutes.Count == 0)
        {
            result.Warnings.Add($"{service} has no HTTP route; the private cluster's ACME HTTP-01 challenges will fail until one is published.");
        }

        ExposeFlavor flavor = FlavorOf(service, http ?? tls!, evident);
        var created = ExposeFactory.CreateHost(
            service.Name,
            names,
            includeSubdomains: false,
            addresses,
            service.Namespace,
            httpPort,
            httpsPort,
            targetHttpPort,
            targetHttpsPort,
            httpEntryPoint,
            httpsEntryPoint,
            proxyProtocol,
            flavor);
        Accept(service, created.Value, created.Errors);
    }

    private void ImportForward(KubeObject service, YMap spec, List<KubeObject> tcpRoutes, List<string> addresses, Dictionary<string, int> publicPorts, Dictionary<string, int> helmEntryPoints, Func<YNode?, int> targetPortOf, bool asTarget)
    {
        bool loadBalancer = spec.Text("type") == "LoadBalancer" && tcpRoutes.Count == 0;
        KubeObject? route = tcpRoutes.FirstOrDefault();
        if (tcpRoutes.Count > 1)
        {
            result.Warnings.Add($"{service} is the target of {tcpRoutes.Count} TCP routes; imported {route}.");
        }

        if (route?.Kind == "IngressRouteTCP" && !asTarget)
        {
            string? match = route.Root.Map("spec")?.Sequence("routes")?.OfType<YMap>().FirstOrDefault()?.Text("match");
            if (match is not null && match.Replace(" ", string.Empty) != "HostSNI(`*`)")
            {
                result.Warnings.Add($"{route} matches `{match}`; a plain TCP forward takes every connection, so it is imported as HostSNI(`*`).");
            }
        }

        string? entryPoint = route is null ? null : EntryPointOf(route);
        YScalar? firstServicePort = (spec.Sequence("ports")?.OfType<YMap>().FirstOrDefault())?["port"] as YScalar;
        int servicePort = firstServicePort is not null && firstServicePort.TryGetInt(out int p) ? p : 0;
        int publicPort = loadBalancer ? servicePort
            : publicPorts.TryGetValue(TcpPortName, out int annotated) ? annotated
            : entryPoint is not null && helmEntryPoints.TryGetValue(entryPoint, out int exposed) ? exposed
            : servicePort;
        if (!loadBalancer && !publicPorts.ContainsKey(TcpPortName) && (entryPoint is null || !helmEntryPoints.ContainsKey(entryPoint)))
        {
            result.Warnings.Add($"The public port of {service} is set by Traefik's entry point '{entryPoint}', which {source} does not declare; assumed {publicPort}.");
        }

        int targetPort = route is null ? targetPortOf(firstServicePort) : targetPortOf(BackendPort(route));
        ProxyProtocolVersion proxyProtocol = route is null ? ProxyProtocolVersion.None : ProxyProtocolOf(route);
        if (asTarget)
        {
            result.Targets.Add(new ServiceTarget(service.Namespace, service.Name, addresses, new[]
            {
                new ServicePortTarget(Routing.RouterProtocol.Tcp, false, entryPoint ?? TcpForward.DefaultEntryPoint(service.Name), publicPort, targetPort, proxyProtocol),
            }));
            return;
        }

        var created = ExposeFactory.CreateForward(
            service.Name,
            publicPort,
            addresses,
            targetPort,
            service.Namespace,
            loadBalancer ? TcpForwardMode.LoadBalancer : TcpForwardMode.TraefikEntryPoint,
            entryPoint,
            proxyProtocol,
            route is null ? FlavorOf(service, service, null) : FlavorOf(service, route, null));
        Accept(service, created.Value, created.Errors);
    }

    private void Accept(KubeObject service, IExposeResource? created, IReadOnlyList<ExposeProblem> errors)
    {
        foreach (ExposeProblem error in errors)
        {
            result.Errors.Add(new ExposeProblem(ErrorIds.ManifestInvalidObject, ExposeErrorKind.InvalidData,
                $"{service} (line {service.Line} of {source}) cannot be imported: {error.Message}", service.Name, null, error.ToException()));
        }

        if (created is not null)
        {
            result.Resources.Add(created);
        }
    }

    private void ReadEndpoints(KubeObject service, Dictionary<string, int> ports, List<string> addresses)
    {
        var slices = Indexed(slicesByService, service.Namespace, service.Name);
        var legacy = Indexed(endpointsByName, service.Namespace, service.Name);
        foreach (KubeObject slice in slices)
        {
            slice.Used = true;
            foreach (YMap endpoint in (slice.Root.Sequence("endpoints") ?? new YSequence()).OfType<YMap>())
            {
                AddAddresses(endpoint.Sequence("addresses")?.OfType<YScalar>().Select(a => a.Value), addresses);
            }

            ReadPorts(slice.Root.Sequence("ports"), ports);
        }

        foreach (KubeObject endpoints in legacy)
        {
            endpoints.Used = true;
            foreach (YMap subset in (endpoints.Root.Sequence("subsets") ?? new YSequence()).OfType<YMap>())
            {
                AddAddresses((subset.Sequence("addresses") ?? new YSequence()).OfType<YMap>().Select(a => a.Text("ip") ?? string.Empty), addresses);
                ReadPorts(subset.Sequence("ports"), ports);
            }
        }

        if (slices.Count == 0 && legacy.Count == 0)
        {
            result.Warnings.Add($"{service} has no EndpointSlice or Endpoints in {source}, so it has no target address.");
        }
    }

    private static void AddAddresses(IEnumerable<string>? found, List<string> addresses)
    {
        foreach (string address in found ?? Enumerable.Empty<string>())
        {
            if (!addresses.Contains(address))
            {
                addresses.Add(address);
            }
        }
    }

    private static void ReadPorts(YSequence? sequence, Dictionary<string, int> ports)
    {
        foreach (YMap port in (sequence ?? new YSequence()).OfType<YMap>())
        {
            if (port["port"] is YScalar number && number.TryGetInt(out int value))
            {
                ports[port.Text("name") ?? string.Empty] = value;
            }
        }
    }

    private IEnumerable<string> HostnamesOf(KubeObject route, bool sni, ref RuleSyntax? evident, ref bool problem)
    {
        YMap spec = route.Root.Map("spec") ?? new YMap();
        if (route.Group == GatewayApiGroup)
        {
            return (spec.Sequence("hostnames") ?? new YSequence()).OfType<YScalar>().Select(h => h.Value.ToLowerInvariant()).ToList();
        }

        var names = new List<string>();
        foreach (YMap rule in (spec.Sequence("routes") ?? new YSequence()).OfType<YMap>())
        {
            string match = rule.Text("match") ?? string.Empty;
            RuleSyntax? declared = rule.Text("syntax") switch { "v2" => RuleSyntax.V2, "v3" => RuleSyntax.V3, _ => null };
            HostRuleReading reading = HostRuleReader.Read(match, sni, declared ?? (route.Group == LegacyTraefikApiGroup ? RuleSyntax.V2 : null));
            evident ??= declared ?? reading.EvidentSyntax;
            foreach (string warning in reading.Warnings)
            {
                result.Warnings.Add($"{route}: {warning}");
            }

            if (reading.Unrepresentable is not null)
            {
                problem = true;
                result.Errors.Add(new ExposeProblem(ErrorIds.ManifestInvalidObject, ExposeErrorKind.InvalidData,
                    $"{route} (line {route.Line} of {source}) cannot be imported: {reading.Unrepresentable}.", route.Name));
                continue;
            }

            names.AddRange(reading.Hostnames);
        }

        return names;
    }

    private static ExposeFlavor FlavorOf(KubeObject service, KubeObject route, RuleSyntax? evident)
    {
        if (Enum.TryParse(service.Annotation(FlavorAnnotation), out ExposeFlavor annotated))
        {
            return annotated;
        }

        if (route.Group == GatewayApiGroup)
        {
            return ExposeFlavor.GatewayApi;
        }

        return route.Group == LegacyTraefikApiGroup || evident == RuleSyntax.V2 ? ExposeFlavor.TraefikV2 : ExposeFlavor.TraefikV3;
    }

    private static YNode? BackendPort(KubeObject route)
    {
        YMap spec = route.Root.Map("spec") ?? new YMap();
        string list = route.Group == GatewayApiGroup ? "rules" : "routes";
        string backends = route.Group == GatewayApiGroup ? "backendRefs" : "services";
        return (spec.Sequence(list) ?? new YSequence()).OfType<YMap>()
            .SelectMany(r => (r.Sequence(backends) ?? new YSequence()).OfType<YMap>())
            .FirstOrDefault()?["port"];
    }

    private static string? EntryPointOf(KubeObject route)
    {
        YMap spec = route.Root.Map("spec") ?? new YMap();
        YSequence? list = route.Group == GatewayApiGroup ? null : spec.Sequence("entryPoints");
        if (list is not null)
        {
            return list.OfType<YScalar>().FirstOrDefault()?.Value;
        }

        return spec.Sequence("parentRefs")?.OfType<YMap>().FirstOrDefault()?.Text("sectionName");
    }

    private ProxyProtocolVersion ProxyProtocolOf(KubeObject route)
    {
        YMap? backend = (route.Root.Map("spec")?.Sequence("routes") ?? new YSequence()).OfType<YMap>()
            .SelectMany(r => (r.Sequence("services") ?? new YSequence()).OfType<YMap>())
            .FirstOrDefault();
        string? version = backend?.Text("proxyProtocol", "version");
        if (backend?.Text("serversTransport") is { } transportName)
        {
            KubeObject? transport = Indexed(transportsByName, route.Namespace, transportName).FirstOrDefault();
            if (transport is null)
            {
                result.Warnings.Add($"{route} uses ServersTransportTCP '{transportName}', which is not in {source}; its PROXY protocol setting is unknown.");
            }
            else
            {
                transport.Used = true;
                version = transport.Root.Text("spec", "proxyProtocol", "version");
            }
        }

        return version switch
        {
            "1" => ProxyProtocolVersion.V1,
            "2" => ProxyProtocolVersion.V2,
            _ => ProxyProtocolVersion.None,
        };
    }

    private static IEnumerable<string> RouteTargets(KubeObject route)
    {
        YMap spec = route.Root.Map("spec") ?? new YMap();
        if (route.Group == GatewayApiGroup && route.Kind is "HTTPRoute" or "TLSRoute" or "TCPRoute")
        {
            return (spec.Sequence("rules") ?? new YSequence()).OfType<YMap>()
                .SelectMany(r => (r.Sequence("backendRefs") ?? new YSequence()).OfType<YMap>())
                .Where(b => b.Text("kind") is null or "Service" && (b.Text("namespace") is null || b.Text("namespace") == route.Namespace))
                .Select(b => b.Text("name") ?? string.Empty);
        }

        if (route.Group is TraefikApiGroup or LegacyTraefikApiGroup && route.Kind is "IngressRoute" or "IngressRouteTCP")
        {
            return (spec.Sequence("routes") ?? new YSequence()).OfType<YMap>()
                .SelectMany(r => (r.Sequence("services") ?? new YSequence()).OfType<YMap>())
                .Where(s => s.Text("kind") is null or "Service" && (s.Text("namespace") is null || s.Text("namespace") == route.Namespace))
                .Select(s => s.Text("name") ?? string.Empty);
        }

        return Enumerable.Empty<string>();
    }

    private static Dictionary<string, int> ParsePublicPorts(string? annotation)
    {
        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string pair in (annotation ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = pair.Split('=');
            if (parts.Length == 2 && int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            {
                ports[parts[0].Trim()] = port;
            }
        }

        return ports;
    }

    private static bool IsKnownKind(KubeObject o) =>
        o.Kind is "EndpointSlice" or "Endpoints" or "IngressRoute" or "IngressRouteTCP" or "ServersTransportTCP" or "HTTPRoute" or "TLSRoute" or "TCPRoute";

    /// <summary>One object of the manifest and whether an exposure has consumed it.</summary>
    private sealed class KubeObject
    {
        public KubeObject(YMap root)
        {
            Root = root;
            string apiVersion = root.Text("apiVersion")!;
            int slash = apiVersion.IndexOf('/');
            Group = slash < 0 ? string.Empty : apiVersion.Substring(0, slash);
            Kind = root.Text("kind")!;
            Name = root.Text("metadata", "name") ?? string.Empty;
            Namespace = root.Text("metadata", "namespace") ?? ExposedHost.DefaultNamespace;
            Line = root.Line;
        }

        public YMap Root { get; }

        public string Group { get; }

        public string Kind { get; }

        public string Name { get; }

        public string Namespace { get; }

        public int Line { get; }

        public bool Used { get; set; }

        public bool Is(string group, string kind) => Group == group && Kind == kind;

        public string? Label(string key) => Root.Map("metadata")?.Map("labels")?.Text(key);

        public string? Annotation(string key) => Root.Map("metadata")?.Map("annotations")?.Text(key);

        public override string ToString() => $"{Kind} '{Namespace}/{Name}'";
    }
}

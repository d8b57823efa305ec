using System;
using System.Collections.Generic;
using System.Linq;
using ClusterExpose.Engine.Rules;
using ClusterExpose.Engine.Validation;
using ClusterExpose.Engine.Yaml;
using static ClusterExpose.Engine.Manifests.ManifestConventions;

namespace ClusterExpose.Engine.Manifests;

/// <summary>
/// Renders model objects into the cloud cluster's objects: a selectorless Service with
/// EndpointSlices for every exposure, then the routes of the chosen flavor. The whole set is
/// validated first; nothing is rendered from a set with any error.
/// </summary>
public sealed class ManifestBuilder
{
    private readonly ManifestOptions options;
    private readonly List<YDocument> documents = new();

    private ManifestBuilder(ManifestOptions options) => this.options = options;

    /// <summary>Renders the set; when anything is wrong, renders nothing and reports every problem in <paramref name="errors"/>.</summary>
    public static IReadOnlyList<YDocument> Build(IReadOnlyList<IExposeResource> resources, ManifestOptions options, out IReadOnlyList<ExposeProblem> errors)
    {
        var problems = new List<ExposeProblem>(ExposeValidator.ValidateSet(resources));
        problems.AddRange(CheckRenderable(resources, options));
        errors = problems;
        if (problems.Count > 0)
        {
            return Array.Empty<YDocument>();
        }

        var builder = new ManifestBuilder(options);
        foreach (IExposeResource resource in resources)
        {
            if (resource is ExposedHost host)
            {
                builder.AddHost(host);
            }
            else if (resource is TcpForward forward)
            {
                builder.AddForward(forward);
            }
        }

        builder.AddHelmChartConfig(EntryPointForwards(resources));
        return builder.documents;
    }

    public static string BuildYaml(IReadOnlyList<IExposeResource> resources, ManifestOptions options, out IReadOnlyList<ExposeProblem> errors)
    {
        IReadOnlyList<YDocument> rendered = Build(resources, options, out errors);
        return errors.Count > 0 ? string.Empty : YamlText.Write(rendered);
    }

    /// <summary>What the model allows but a Kubernetes object cannot hold.</summary>
    private static IEnumerable<ExposeProblem> CheckRenderable(IReadOnlyList<IExposeResource> resources, ManifestOptions options)
    {
        foreach (IExposeResource resource in resources)
        {
            IReadOnlyList<string> addresses = resource switch
            {
                ExposedHost host => host.TargetAddress,
                TcpForward forward => forward.TargetAddress,
                _ => Array.Empty<string>(),
            };
            foreach (string address in options.ForLocalForwarding || options.ForRoutingOnly ? Array.Empty<string>() : addresses)
            {
                string? rejection = AddressRules.KubernetesEndpointRejection(address);
                if (rejection is not null)
                {
                    yield return new ExposeProblem(
                        ErrorIds.AddressRejectedByKubernetes,
                        ExposeErrorKind.InvalidArgument,
                        $"TargetAddress '{address}' of {OwnerValue(resource)} cannot be written to an EndpointSlice: {rejection}",
                        address,
                        "Use an address of the private network that the cloud nodes route to; Start-SniProxy can still forward to this one locally.");
                }
            }
        }

        foreach (ExposeProblem problem in options.ForLocalForwarding || options.ForProxyRoutes ? Enumerable.Empty<ExposeProblem>() : CheckEntryPoints(resources))
        {
            yield return problem;
        }

        if (!KubernetesNames.IsDns1123Subdomain(options.GatewayName) || (options.GatewayNamespace is not null && !KubernetesNames.IsDns1123Label(options.GatewayNamespace)))
        {
            yield return new ExposeProblem(ErrorIds.InvalidGatewayName, ExposeErrorKind.InvalidArgument,
                $"GatewayName '{options.GatewayName}' (namespace '{options.GatewayNamespace}') is not a valid Kubernetes object reference.", options.GatewayName);
        }
    }

    /// <summary>The forwards rendered as Traefik entry points of their own (declared in the k3s HelmChartConfig).</summary>
    private static IReadOnlyList<TcpForward> EntryPointForwards(IReadOnlyList<IExposeResource> resources) =>
        resources.OfType<TcpForward>()
            .Where(f => f.Mode == TcpForwardMode.TraefikEntryPoint && f.Flavor != ExposeFlavor.GatewayApi)
            .ToList();

    /// <summary>
    /// A forward rendered as a Traefik entry point shares Traefik's one set of entry points and the
    /// one pod they listen in: it must not take a name or a public port of the chart's own entry
    /// points, nor the port inside the pod of another forward.
    /// </summary>
    private static IEnumerable<ExposeProblem> CheckEntryPoints(IReadOnlyList<IExposeResource> resources)
    {
        IReadOnlyList<TcpForward> forwards = EntryPointForwards(resources);
        var hostEntryPoints = resources.OfType<ExposedHost>()
            .SelectMany(h => new[] { (EntryPoint: h.HttpEntryPoint, Host: h), (EntryPoint: h.HttpsEntryPoint, Host: h) })
            .ToList();
        foreach (TcpForward forward in forwards)
        {
            string owner = OwnerValue(forward);
            if (TraefikChartEntryPoints.Any(e => e.Name == forward.EntryPoint))
            {
                yield return new ExposeProblem(ErrorIds.ReservedEntryPoint, ExposeErrorKind.InvalidArgument,
                    $"EntryPoint '{forward.EntryPoint}' of {owner} is one of the entry points Traefik's Helm chart declares itself ({string.Join(", ", TraefikChartEntryPoints.Select(e => e.Name))}); declaring it for a forward would replace the chart's settings.",
                    forward.EntryPoint, "Give the forward another entry point name with Add-TcpForward -EntryPoint.");
            }
            else if (hostEntryPoints.FirstOrDefault(h => h.EntryPoint == forward.EntryPoint).Host is { } host)
            {
                yield return new ExposeProblem(ErrorIds.ReservedEntryPoint, ExposeErrorKind.InvalidArgument,
                    $"EntryPoint '{forward.EntryPoint}' of {owner} is where {OwnerValue(host)} routes by host name; a forward's entry point carries that forward alone.",
                    forward.EntryPoint, "Give the forward another entry point name with Add-TcpForward -EntryPoint.");
            }

            if (TraefikChartEntryPoints.FirstOrDefault(e => e.PublicPort == forward.Port).Name is { } taken)
            {
                yield return new ExposeProblem(ErrorIds.ReservedPublicPort, ExposeErrorKind.InvalidArgument,
                    $"Port {forward.Port} of {owner} is the public port of Traefik's own '{taken}' entry point; one public port carries one entry point.",
                    forward.Port, "Choose another public port; HTTP and HTTPS by host name go through New-ExposedHost.");
            }
        }

        foreach (var clash in forwards.GroupBy(f => TraefikContainerPort(f.Port)).Where(g => g.Select(f => f.Port).Distinct().Count() > 1))
        {
            string owners = string.Join(" and ", clash.Select(f => $"{OwnerValue(f)} (port {f.Port})"));
            yield return new ExposeProblem(ErrorIds.DuplicateContainerPort, ExposeErrorKind.InvalidArgument,
                $"{owners} would both listen on port {clash.Key} inside the Traefik pod (there, a public port below 1024 listens on 10000 + port, and one of the chart's own ports on 20000 + port).",
                clash.Key, "Choose another public port for one of them.");
        }
    }

    private void AddHost(ExposedHost host)
    {
        var ports = new[] { (HttpPortName, host.TargetHttpPort), (HttpsPortName, host.TargetHttpsPort) };
        string publicPorts = $"{HttpPortName}={host.HttpPort},{HttpsPortName}={host.HttpsPort}";
        AddService(host, ports, host.TargetAddress, publicPorts, loadBalancer: false);
        if (host.Flavor == ExposeFlavor.GatewayApi)
        {
            AddGatewayRoute(host, "HTTPRoute", "v1", host.Name + HttpRouteSuffix, host.HttpEntryPoint, host.Hostname, host.TargetHttpPort);
            AddGatewayRoute(host, "TLSRoute", GatewayVersion(), host.Name + TlsRouteSuffix, host.HttpsEntryPoint, host.Hostname, host.TargetHttpsPort);
            return;
        }

        RuleSyntax syntax = host.Flavor == ExposeFlavor.TraefikV2 ? RuleSyntax.V2 : RuleSyntax.V3;
        bool native = options.NativeWildcards && syntax == RuleSyntax.V3;
        string? transport = AddProxyProtocolTransport(host, host.ProxyProtocol);

        var httpRoutes = new YSequence();
        foreach (HostRoute route in HostRuleWriter.HttpRoutes(host.Hostname, syntax, native))
        {
            httpRoutes.Add(new YMap()
                .Add("kind", "Rule")
                .Add("match", route.Rule)
                .Add("priority", route.Priority)
                .Add("services", new YSequence().Add(new YMap().Add("name", host.Name).Add("port", host.TargetHttpPort))));
        }

        AddDocument(host, TraefikApiVersion(host), "IngressRoute", host.Name + HttpRouteSuffix, new YMap()
            .Add("entryPoints", new YSequence().Add(host.HttpEntryPoint))
            .Add("routes", httpRoutes));

        var tlsRoutes = new YSequence();
        foreach (HostRoute route in HostRuleWriter.SniRoutes(host.Hostname, syntax, native))
        {
            tlsRoutes.Add(new YMap()
                .Add("match", route.Rule)
                .Add("priority", route.Priority)
                .Add("services", new YSequence().Add(TcpService(host, host.TargetHttpsPort, host.ProxyProtocol, transport))));
        }

        AddDocument(host, TraefikApiVersion(host), "IngressRouteTCP", host.Name + TlsRouteSuffix, new YMap()
            .Add("entryPoints", new YSequence().Add(host.HttpsEntryPoint))
            .Add("routes", tlsRoutes)
            .Add("tls", new YMap().Add("passthrough", true)));
    }

    private void AddForward(TcpForward forward)
    {
        bool loadBalancer = forward.Mode == TcpForwardMode.LoadBalancer;
        int servicePort = loadBalancer ? forward.Port : forward.TargetPort;
        AddService(forward, new[] { (TcpPortName, forward.TargetPort) }, forward.TargetAddress, $"{TcpPortName}={forward.Port}", loadBalancer, servicePort);
        if (loadBalancer)
        {
            return;
        }

        if (forward.Flavor == ExposeFlavor.GatewayApi)
        {
            AddGatewayRoute(forward, "TCPRoute", GatewayVersion(), forward.Name + TcpRouteSuffix, forward.EntryPoint, null, forward.TargetPort);
            return;
        }

        string? transport = AddProxyProtocolTransport(forward, forward.ProxyProtocol);
        var route = new YMap()
            .Add("match", "HostSNI(`*`)")
            .Add("services", new YSequence().Add(TcpService(forward, forward.TargetPort, forward.ProxyProtocol, transport)));
        AddDocument(forward, TraefikApiVersion(forward), "IngressRouteTCP", forward.Name + TcpRouteSuffix, new YMap()
            .Add("entryPoints", new YSequence().Add(forward.EntryPoint))
            .Add("routes", new YSequence().Add(route)));
    }

    private void AddService(IExposeResource owner, (string Name, int TargetPort)[] ports, IReadOnlyList<string> addresses, string publicPorts, bool loadBalancer, int? servicePortOverride = null)
    {
        var families = addresses.GroupBy(a => AddressRules.IsIPv6(a) ? "IPv6" : "IPv4").OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var servicePorts = new YSequence();
        foreach (var (name, targetPort) in ports)
        {
            servicePorts.Add(new YMap()
                .Add("name", name)
                .Add("protocol", "TCP")
                .Add("port", servicePortOverride ?? targetPort)
                .Add("targetPort", targetPort));
        }

        var spec = new YMap().Add("type", loadBalancer ? "LoadBalancer" : "ClusterIP");
        if (families.Count > 1)
        {
            // Without it a Service is single-stack and kube-proxy ignores the other family's slice.
            spec.Add("ipFamilyPolicy", "PreferDualStack");
        }

        spec.Add("ports", servicePorts);
        var metadata = Metadata(owner, owner.Name);
        ((YMap)metadata["annotations"]!).Add(PublicPortsAnnotation, publicPorts);
        if (options.LegacyEndpoints)
        {
            // Tells the cluster cmdlets to look for the Endpoints too, so that nobody else pays the
            // deprecation warning every read of v1 Endpoints draws.
            ((YMap)metadata["annotations"]!).Add(LegacyEndpointsAnnotation, "true");
        }

        documents.Add(new YDocument(new YMap().Add("apiVersion", "v1").Add("kind", "Service").Add("metadata", metadata).Add("spec", spec)));

        foreach (var family in families)
        {
            var endpoints = new YSequence();
            foreach (string address in family)
            {
                endpoints.Add(new YMap()
                    .Add("addresses", new YSequence().Add(address))
                    .Add("conditions", new YMap().Add("ready", true)));
            }

            var slicePorts = new YSequence();
            foreach (var (name, targetPort) in ports)
            {
                slicePorts.Add(new YMap().Add("name", name).Add("protocol", "TCP").Add("port", targetPort));
            }

            YMap sliceMetadata = Metadata(owner, owner.Name + "-" + family.Key.ToLowerInvariant());
            ((YMap)sliceMetadata["labels"]!)
                .Add(ServiceNameLabel, owner.Name)
                .Add(EndpointSliceManagedByLabel, EndpointSliceManagedByValue);
            documents.Add(new YDocument(new YMap()
                .Add("apiVersion", "discovery.k8s.io/v1")
                .Add("kind", "EndpointSlice")
                .Add("metadata", sliceMetadata)
                .Add("addressType", family.Key)
                .Add("endpoints", endpoints)
                .Add("ports", slicePorts)));
        }

        if (options.LegacyEndpoints)
        {
            var subsetAddresses = new YSequence();
            // Family by family, as the slices list them, so that reading either back gives one order.
            foreach (string address in families.SelectMany(f => f))
            {
                subsetAddresses.Add(new YMap().Add("ip", address));
            }

            var subsetPorts = new YSequence();
            foreach (var (name, targetPort) in ports)
            {
                subsetPorts.Add(new YMap().Add("name", name).Add("protocol", "TCP").Add("port", targetPort));
            }

            // Our own slices exist already: without skip-mirror the mirroring controller would add a copy.
            YMap endpointsMetadata = Metadata(owner, owner.Name);
            ((YMap)endpointsMetadata["labels"]!).Add(SkipMirrorLabel, "true");
            documents.Add(new YDocument(new YMap()
                .Add("apiVersion", "v1")
                .Add("kind", "Endpoints")
                .Add("metadata", endpointsMetadata)
                .Add("subsets", new YSequence().Add(new YMap().Add("addresses", subsetAddresses).Add("ports", subsetPorts)))));
        }
    }

    /// <summary>Traefik v3 carries the PROXY protocol on a ServersTransportTCP; v2 on the route's service (deprecated in v3).</summary>
    private string? AddProxyProtocolTransport(IExposeResource owner, ProxyProtocolVersion version)
    {
        if (version == ProxyProtocolVersion.None || owner.Flavor != ExposeFlavor.TraefikV3)
        {
            return null;
        }

        string name = owner.Name + ProxyProtocolTransportSuffix;
        AddDocument(owner, TraefikApiVersion(owner), "ServersTransportTCP", name, new YMap()
            .Add("proxyProtocol", new YMap().Add("version", ProxyProtocolNumber(version))));
        return name;
    }

    private static YMap TcpService(IExposeResource owner, int port, ProxyProtocolVersion version, string? transport)
    {
        var service = new YMap().Add("name", owner.Name).Add("port", port);
        if (transport is not null)
        {
            service.Add("serversTransport", transport);
        }
        else if (version != ProxyProtocolVersion.None)
        {
            service.Add("proxyProtocol", new YMap().Add("version", ProxyProtocolNumber(version)));
        }

        return service;
    }

    private void AddGatewayRoute(IExposeResource owner, string kind, string version, string name, string listener, IReadOnlyList<string>? hostnames, int port)
    {
        var parent = new YMap().Add("name", options.GatewayName);
        if (options.GatewayNamespace is not null)
        {
            parent.Add("namespace", options.GatewayNamespace);
        }

        parent.Add("sectionName", listener);
        var spec = new YMap().Add("parentRefs", new YSequence().Add(parent));
        if (hostnames is not null)
        {
            // The Gateway API writes every wildcard as *.domain, which matches at any depth there.
            var names = new YSequence();
            foreach (string hostname in hostnames.Select(h => HostnameNormalizer.IsWildcard(h) ? HostnameNormalizer.WildcardPrefix + HostnameNormalizer.WildcardDomain(h) : h).Distinct())
            {
                names.Add(hostname);
            }

            spec.Add("hostnames", names);
        }

        spec.Add("rules", new YSequence().Add(new YMap()
            .Add("backendRefs", new YSequence().Add(new YMap().Add("name", owner.Name).Add("port", port)))));
        AddDocument(owner, GatewayApiGroup + "/" + version, kind, name, spec);
    }

    /// <summary>
    /// k3s installs Traefik with a HelmChart it owns; extra entry points go into the one HelmChartConfig
    /// named traefik in kube-system. Its values replace the user's, so merge them by hand if one exists.
    /// </summary>
    private void AddHelmChartConfig(IReadOnlyList<TcpForward> forwards)
    {
        if (forwards.Count == 0)
        {
            return;
        }

        var ports = new YMap();
        foreach (TcpForward forward in forwards)
        {
            ports.Add(forward.EntryPoint, new YMap()
                .Add("port", TraefikContainerPort(forward.Port))
                .Add("exposedPort", forward.Port)
                .Add("protocol", "TCP")
                .Add("expose", new YMap().Add("default", true)));
        }

        string values = YamlText.WriteFragment(new YMap().Add("ports", ports));
        var metadata = new YMap()
            .Add("name", HelmChartConfigName)
            .Add("namespace", "kube-system")
            .Add("labels", new YMap().Add(ManagedByLabel, ManagedByValue))
            .Add("annotations", new YMap()
                .Add(OwnerAnnotation, string.Join(",", forwards.Select(SharedOwnerValue)))
                .Add(EntryPointsAnnotation, string.Join(",", forwards.Select(f => f.EntryPoint + "=" + SharedOwnerValue(f)))));
        documents.Add(new YDocument(
            new YMap()
                .Add("apiVersion", HelmChartConfigApiVersion)
                .Add("kind", "HelmChartConfig")
                .Add("metadata", metadata)
                .Add("spec", new YMap().Add("valuesContent", new YScalar(values, YScalarType.String) { Literal = true })),
            "k3s: declares one Traefik entry point per forwarded port, and restarts Traefik when it changes.\nPublish-ExposeResource merges these ports into the valuesContent already in kube-system/traefik;\nkubectl apply replaces it whole, so merge by hand if you have one."));
    }

    private void AddDocument(IExposeResource owner, string apiVersion, string kind, string name, YMap spec)
    {
        documents.Add(new YDocument(new YMap()
            .Add("apiVersion", apiVersion)
            .Add("kind", kind)
            .Add("metadata", Metadata(owner, name))
            .Add("spec", spec)));
    }

    private static YMap Metadata(IExposeResource owner, string name) => new YMap()
        .Add("name", name)
        .Add("namespace", owner.Namespace)
        .Add("labels", new YMap().Add(ManagedByLabel, ManagedByValue))
        .Add("annotations", new YMap()
            .Add(OwnerAnnotation, OwnerValue(owner))
            .Add(FlavorAnnotation, owner.Flavor.ToString()));

    private string TraefikApiVersion(IExposeResource owner) =>
        (owner.Flavor == ExposeFlavor.TraefikV2 && options.LegacyTraefikApiGroup ? LegacyTraefikApiGroup : TraefikApiGroup) + "/" + ManifestConventions.TraefikApiVersion;

    private string GatewayVersion() => options.GatewayRouteVersion == GatewayRouteVersion.V1 ? "v1" : "v1alpha2";

    private static int ProxyProtocolNumber(ProxyProtocolVersion version) => version == ProxyProtocolVersion.V1 ? 1 : 2;
}

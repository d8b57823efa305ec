using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using ClusterExpose.Engine.Yaml;
using static ClusterExpose.Engine.Manifests.ManifestConventions;

namespace ClusterExpose.Engine.Manifests;

/// <summary>
/// Renders what the private cluster needs to accept what the cloud side sends, from the same model
/// objects the cloud side is rendered from: the private Traefik's HelmChartConfig (k3s) with the
/// addresses it trusts for X-Forwarded-* headers on web and for the PROXY header on websecure when an
/// exposure sends one, and, as comments, the routes the private network must carry.
/// </summary>
public static class PrivateSideBuilder
{
    /// <summary>The Traefik chart's port names for HTTP (80) and HTTPS (443).</summary>
    private const string WebPort = "web";
    private const string WebsecurePort = "websecure";

    /// <summary>The private side as YAML: the routes to carry as a leading comment, then the objects (none when only TCP forwards are given); null on errors.</summary>
    public static string? BuildYaml(IReadOnlyList<IExposeResource> resources, IReadOnlyList<string> trustedAddresses, out IReadOnlyList<ExposeProblem> errors, out IReadOnlyList<string> warnings)
    {
        var problems = new List<ExposeProblem>();
        var notes = new List<string>();
        errors = problems;
        warnings = notes;
        if (trustedAddresses.Count == 0)
        {
            problems.Add(new ExposeProblem(ErrorIds.TrustedAddressMissing, ExposeErrorKind.InvalidArgument,
                "The private side must know whom to trust: give -TrustedAddress, the address(es) the forwarded connections arrive from (the subnet router's address, or the cloud nodes' tunnel addresses).",
                null, "Pass -TrustedAddress 100.64.0.0/10 (Tailscale) or the WireGuard peer address of the cloud node."));
        }

        var trusted = new List<string>();
        foreach (string text in trustedAddresses)
        {
            if (TryNetwork(text, out string? network))
            {
                trusted.Add(network!);
            }
            else
            {
                problems.Add(new ExposeProblem(ErrorIds.InvalidTrustedAddress, ExposeErrorKind.InvalidArgument,
                    $"'{text}' is not an IP address or a network in CIDR form (10.0.0.0/8, fd7a:115c:a1e0::/48).", text));
            }
        }

        List<ExposedHost> hosts = resources.OfType<ExposedHost>().ToList();
        if (problems.Count > 0 || resources.Count == 0)
        {
            return null;
        }

        foreach (TcpForward forward in resources.OfType<TcpForward>().Where(f => f.ProxyProtocol != ProxyProtocolVersion.None))
        {
            notes.Add($"TcpForward '{forward.Name}' sends a PROXY v{(forward.ProxyProtocol == ProxyProtocolVersion.V1 ? 1 : 2)} header to {string.Join(", ", forward.TargetAddress)}:{forward.TargetPort}: "
                + $"that server must read it, and trust it only from {string.Join(", ", trusted)}.");
        }

        foreach (ExposedHost host in hosts.Where(h => h.TargetHttpPort != 80 || h.TargetHttpsPort != 443))
        {
            notes.Add($"ExposedHost '{host.Name}' targets ports {host.TargetHttpPort} and {host.TargetHttpsPort}, not the private Traefik's 80 and 443: "
                + "set these values on the entry points that listen there.");
        }

        if (resources.Any(r => r.Flavor == ExposeFlavor.GatewayApi))
        {
            notes.Add("The Gateway API has no standard setting for trusted forwarders or the PROXY protocol: the HelmChartConfig applies where the private gateway is k3s's Traefik; "
                + "another implementation needs its own equivalent (the same addresses, on its HTTP and HTTPS listeners).");
        }

        string preface = string.Concat(RoutesComment(resources).Split('\n').Select(line => "# " + line + "\n"));
        return hosts.Count == 0
            ? preface + "# Only TCP forwards: the private Traefik needs nothing.\n"
            : preface + YamlText.Write(new[] { TraefikValues(hosts, trusted) });
    }

    /// <summary>
    /// The private Traefik's values: web trusts the cloud side's X-Forwarded-* headers (the cloud
    /// Traefik adds them to the HTTP it forwards); websecure reads the PROXY header when an exposure
    /// sends one. websecure never trusts forwarded headers: the cloud side passes TLS through and
    /// cannot add any, so trusting its address there would trust whatever a client wrote.
    /// </summary>
    private static YDocument TraefikValues(IReadOnlyList<ExposedHost> hosts, IReadOnlyList<string> trusted)
    {
        YSequence List() => trusted.Aggregate(new YSequence(), (list, network) => list.Add(network));
        var web = new YMap().Add("forwardedHeaders", new YMap().Add("trustedIPs", List()));
        var ports = new YMap().Add(WebPort, web);
        List<ExposedHost> withProxyProtocol = hosts.Where(h => h.ProxyProtocol != ProxyProtocolVersion.None).ToList();
        if (withProxyProtocol.Count > 0)
        {
            ports.Add(WebsecurePort, new YMap().Add("proxyProtocol", new YMap().Add("trustedIPs", List())));
        }

        string values = YamlText.WriteFragment(new YMap().Add("ports", ports));
        string proxyNote = withProxyProtocol.Count > 0
            ? $"websecure reads the PROXY header that {string.Join(", ", withProxyProtocol.Select(h => h.Name))} send(s), from these addresses only."
            : "No exposure sends the PROXY protocol, so websecure is left as it is.";
        return new YDocument(
            new YMap()
                .Add("apiVersion", HelmChartConfigApiVersion)
                .Add("kind", "HelmChartConfig")
                .Add("metadata", new YMap()
                    .Add("name", HelmChartConfigName)
                    .Add("namespace", "kube-system")
                    .Add("labels", new YMap().Add(ManagedByLabel, ManagedByValue))
                    .Add("annotations", new YMap().Add(OwnerAnnotation, string.Join(",", hosts.Select(OwnerValue)))))
                .Add("spec", new YMap().Add("valuesContent", new YScalar(values, YScalarType.String) { Literal = true })),
            "For the PRIVATE cluster's Traefik (k3s; the Traefik chart's keys, the same for Traefik v3 and v2):\n"
            + "web trusts the X-Forwarded-* headers the cloud side adds; " + proxyNote + "\n"
            + "Applying it replaces the valuesContent of kube-system/traefik: merge these keys into yours if you have one.");
    }

    /// <summary>The host routes (/32, /128) to every target address, as the private network must carry them.</summary>
    private static IEnumerable<string> Routes(IEnumerable<IExposeResource> resources) => resources
        .SelectMany(r => r switch { ExposedHost h => h.TargetAddress, TcpForward f => f.TargetAddress, _ => Array.Empty<string>() })
        .Select(a => IPAddress.TryParse(a, out IPAddress? ip) ? $"{ip}/{(ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32)}" : a)
        .Distinct(StringComparer.Ordinal)
        .OrderBy(r => r, StringComparer.Ordinal);

    private static string RoutesComment(IReadOnlyList<IExposeResource> resources)
    {
        string routes = string.Join(",", Routes(resources));
        return "The private network must carry the targets from the cloud nodes: " + routes + " (or the whole subnet they are in).\n"
            + $"Tailscale: on the private side's subnet router `tailscale set --advertise-routes={routes}` (and approve the routes in the admin console),\n"
            + "  on each cloud node `tailscale set --accept-routes`.\n"
            + $"WireGuard: in the cloud node's [Peer] for the private side, `AllowedIPs = {routes.Replace(",", ", ", StringComparison.Ordinal)}`, and IP forwarding on the private peer.";
    }

    /// <summary>An address (a host route) or a CIDR network, written canonically.</summary>
    private static bool TryNetwork(string text, out string? network)
    {
        network = null;
        string trimmed = text.Trim();
        if (IPAddress.TryParse(trimmed, out IPAddress? address) && !trimmed.Contains('/'))
        {
            network = $"{address}/{(address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32)}";
            return true;
        }

        if (IPNetwork.TryParse(trimmed, out IPNetwork parsed))
        {
            network = parsed.ToString();
            return true;
        }

        return false;
    }
}

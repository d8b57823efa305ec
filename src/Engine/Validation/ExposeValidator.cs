using System;
using System.Collections.Generic;
using System.Linq;

namespace ClusterExpose.Engine.Validation;

/// <summary>
/// Checks model objects before anything is rendered. Every problem becomes one
/// <see cref="ClusterExposeException"/> naming the field and the value; all problems are reported,
/// not just the first, so a user fixes a spec in one pass.
/// </summary>
public static class ExposeValidator
{
    public static IReadOnlyList<ExposeProblem> Validate(IExposeResource resource) => resource switch
    {
        ExposedHost host => ValidateHost(host),
        TcpForward forward => ValidateForward(forward),
        _ => new[] { Invalid(ErrorIds.UnsupportedResource, "InputObject", resource?.GetType().Name, "is not an ExposedHost or a TcpForward.") },
    };

    public static IReadOnlyList<ExposeProblem> ValidateHost(ExposedHost host)
    {
        var errors = new List<ExposeProblem>();
        CheckName(host.Name, errors);
        CheckNamespace(host.Namespace, errors);
        if (host.Hostname.Count == 0)
        {
            errors.Add(Invalid(ErrorIds.MissingHostname, "Hostname", host.Name, "is empty; an exposed host needs at least one name."));
        }

        foreach (string hostname in host.Hostname)
        {
            string? problem = HostnameNormalizer.TryNormalize(hostname, out string normalized);
            if (problem is not null)
            {
                errors.Add(Invalid(ErrorIds.InvalidHostname, "Hostname", hostname, "is not valid: " + problem));
            }
            else if (normalized != hostname)
            {
                errors.Add(Invalid(ErrorIds.InvalidHostname, "Hostname", hostname, $"is not in normal form; use '{normalized}'."));
            }
        }

        CheckAddresses(host.TargetAddress, errors);
        CheckPort("HttpPort", host.HttpPort, errors);
        CheckPort("HttpsPort", host.HttpsPort, errors);
        CheckPort("TargetHttpPort", host.TargetHttpPort, errors);
        CheckPort("TargetHttpsPort", host.TargetHttpsPort, errors);
        if (host.HttpPort == host.HttpsPort)
        {
            errors.Add(Invalid(ErrorIds.ConflictingPorts, "HttpsPort", host.HttpsPort, "equals HttpPort; HTTP and HTTPS need different public ports."));
        }

        CheckEntryPoint("HttpEntryPoint", host.HttpEntryPoint, errors);
        CheckEntryPoint("HttpsEntryPoint", host.HttpsEntryPoint, errors);
        if (host.HttpEntryPoint == host.HttpsEntryPoint)
        {
            errors.Add(Invalid(ErrorIds.InvalidEntryPoint, "HttpsEntryPoint", host.HttpsEntryPoint, "equals HttpEntryPoint; plain HTTP and TLS passthrough need separate entry points."));
        }

        if (host.Flavor == ExposeFlavor.GatewayApi && host.ProxyProtocol != ProxyProtocolVersion.None)
        {
            errors.Add(Invalid(ErrorIds.UnsupportedByFlavor, "ProxyProtocol", host.ProxyProtocol, "cannot be expressed with the Gateway API (TLSRoute has no PROXY protocol field); use a Traefik flavor."));
        }

        return errors;
    }

    public static IReadOnlyList<ExposeProblem> ValidateForward(TcpForward forward)
    {
        var errors = new List<ExposeProblem>();
        CheckName(forward.Name, errors);
        CheckNamespace(forward.Namespace, errors);
        CheckAddresses(forward.TargetAddress, errors);
        CheckPort("Port", forward.Port, errors);
        CheckPort("TargetPort", forward.TargetPort, errors);
        if (forward.Mode == TcpForwardMode.TraefikEntryPoint && !KubernetesNames.IsIanaServiceName(forward.EntryPoint))
        {
            errors.Add(Invalid(ErrorIds.InvalidEntryPoint, "EntryPoint", forward.EntryPoint,
                "is not a valid entry point name for a forwarded port: Traefik's Helm chart turns it into a container port name, which has at most 15 lowercase letters, digits and single '-' and contains a letter. Pass -EntryPoint."));
        }

        if (forward.ProxyProtocol != ProxyProtocolVersion.None)
        {
            if (forward.Mode == TcpForwardMode.LoadBalancer)
            {
                errors.Add(Invalid(ErrorIds.UnsupportedByMode, "ProxyProtocol", forward.ProxyProtocol, "needs Traefik in the path; a LoadBalancer Service forwards packets and cannot add a PROXY header. Use -Mode TraefikEntryPoint."));
            }
            else if (forward.Flavor == ExposeFlavor.GatewayApi)
            {
                errors.Add(Invalid(ErrorIds.UnsupportedByFlavor, "ProxyProtocol", forward.ProxyProtocol, "cannot be expressed with the Gateway API (TCPRoute has no PROXY protocol field); use a Traefik flavor."));
            }
        }

        return errors;
    }

    /// <summary>Checks a whole set for what no single object can see: names, host names and public ports claimed twice.</summary>
    public static IReadOnlyList<ExposeProblem> ValidateSet(IEnumerable<IExposeResource> resources)
    {
        var errors = new List<ExposeProblem>();
        var list = resources.ToList();
        foreach (IExposeResource resource in list)
        {
            errors.AddRange(Validate(resource));
        }

        foreach (var group in list.GroupBy(r => (r.Namespace, r.Name)).Where(g => g.Count() > 1))
        {
            errors.Add(Invalid(ErrorIds.DuplicateName, "Name", $"{group.Key.Namespace}/{group.Key.Name}", "is used by more than one exposure; each becomes a Service of that name."));
        }

        var hostClaims = list.OfType<ExposedHost>()
            .SelectMany(h => h.Hostname.Select(name => (name, owner: h)))
            .GroupBy(c => c.name);
        foreach (var claim in hostClaims.Where(g => g.Count() > 1))
        {
            string owners = string.Join(", ", claim.Select(c => c.owner.Name));
            errors.Add(Invalid(ErrorIds.DuplicateHostname, "Hostname", claim.Key, $"is claimed by more than one exposed host ({owners}); Traefik's choice between them is undefined."));
        }

        // A public port carries one forward, and never one of the HTTP or HTTPS ports the exposed hosts listen on.
        var webPorts = new HashSet<int>(list.OfType<ExposedHost>().SelectMany(h => new[] { h.HttpPort, h.HttpsPort }));
        foreach (var port in list.OfType<TcpForward>().GroupBy(f => f.Port).Where(g => g.Count() > 1 || webPorts.Contains(g.Key)))
        {
            var owners = port.Select(f => "TcpForward " + f.Name).ToList();
            if (webPorts.Contains(port.Key))
            {
                owners.Add("the HTTP/HTTPS entry points");
            }

            errors.Add(Invalid(ErrorIds.DuplicatePublicPort, "Port", port.Key, $"is claimed more than once ({string.Join(", ", owners)}); one public port carries one forward."));
        }

        foreach (var entryPoint in list.OfType<TcpForward>().Where(f => f.Mode == TcpForwardMode.TraefikEntryPoint).GroupBy(f => f.EntryPoint).Where(g => g.Count() > 1))
        {
            errors.Add(Invalid(ErrorIds.InvalidEntryPoint, "EntryPoint", entryPoint.Key, $"is used by more than one TCP forward ({string.Join(", ", entryPoint.Select(f => f.Name))}); each forwarded port needs its own entry point."));
        }

        return errors;
    }

    internal static ExposeProblem Invalid(string errorId, string field, object? value, string problem) =>
        new(errorId, ExposeErrorKind.InvalidArgument, $"{field} '{value}' {problem}", value);

    private static void CheckName(string name, List<ExposeProblem> errors)
    {
        if (!KubernetesNames.IsDns1035Label(name))
        {
            errors.Add(Invalid(ErrorIds.InvalidName, "Name", name,
                "is not a valid Service name: use at most 63 lowercase letters, digits and '-', starting with a letter and not ending with '-'."));
        }
    }

    private static void CheckNamespace(string ns, List<ExposeProblem> errors)
    {
        if (!KubernetesNames.IsDns1123Label(ns))
        {
            errors.Add(Invalid(ErrorIds.InvalidNamespace, "Namespace", ns, "is not a valid namespace: use at most 63 lowercase letters, digits and '-'."));
        }
    }

    private static void CheckAddresses(IReadOnlyList<string> addresses, List<ExposeProblem> errors)
    {
        if (addresses.Count == 0)
        {
            errors.Add(Invalid(ErrorIds.MissingTargetAddress, "TargetAddress", string.Empty, "is empty; give at least one IPv4 or IPv6 address of the private side."));
        }

        foreach (string address in addresses)
        {
            if (!AddressRules.TryNormalize(address, out string normalized))
            {
                errors.Add(Invalid(ErrorIds.InvalidTargetAddress, "TargetAddress", address, "is not an IPv4 or IPv6 address. Endpoints hold IP addresses, not names."));
            }
            else if (normalized != address)
            {
                errors.Add(Invalid(ErrorIds.InvalidTargetAddress, "TargetAddress", address, $"is not in normal form; use '{normalized}'."));
            }
        }
    }

    private static void CheckPort(string field, int port, List<ExposeProblem> errors)
    {
        if (port is < 1 or > 65535)
        {
            errors.Add(Invalid(ErrorIds.InvalidPort, field, port, "is not a port number between 1 and 65535."));
        }
    }

    private static void CheckEntryPoint(string field, string entryPoint, List<ExposeProblem> errors)
    {
        bool ok = entryPoint.Length is > 0 and <= 63;
        foreach (char c in entryPoint)
        {
            ok &= char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
        }

        if (!ok)
        {
            errors.Add(Invalid(ErrorIds.InvalidEntryPoint, field, entryPoint, "is not a valid entry point name: use letters, digits, '-' and '_' (at most 63)."));
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace ClusterExpose.Engine.Validation;

/// <summary>Target address parsing and the endpoint addresses the Kubernetes API server refuses.</summary>
public static class AddressRules
{
    /// <summary>Parses an IP literal and writes it canonically (IPv4-mapped IPv6 as plain IPv4, zone ids refused).</summary>
    public static bool TryNormalize(string? input, out string normalized)
    {
        normalized = string.Empty;
        if (string.IsNullOrWhiteSpace(input))
        {
            return false;
        }

        string text = input!.Trim();
        if (text.StartsWith("[", System.StringComparison.Ordinal) && text.EndsWith("]", System.StringComparison.Ordinal))
        {
            text = text.Substring(1, text.Length - 2);
        }

        // IPAddress.TryParse accepts shorthand such as "10.1" or "167772161"; require the dotted quad or a colon form.
        if (!IPAddress.TryParse(text, out IPAddress? address) || text.IndexOf('%') >= 0)
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork && text.Split('.').Length != 4)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        normalized = address.ToString();
        return true;
    }

    public static bool IsIPv6(string normalizedAddress) => normalizedAddress.IndexOf(':') >= 0;

    /// <summary>
    /// Why the API server would reject this address as an endpoint, or null when it accepts it.
    /// The local forwarder may still use such addresses, so the model keeps them.
    /// </summary>
    public static string? KubernetesEndpointRejection(string normalizedAddress)
    {
        if (!IPAddress.TryParse(normalizedAddress, out IPAddress? address))
        {
            return "it is not an IP address.";
        }

        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return "it is the unspecified address; an endpoint must name one host.";
        }

        if (IPAddress.IsLoopback(address))
        {
            return "it is a loopback address; on a cluster node it would point at the node itself, so Kubernetes refuses it as an endpoint.";
        }

        byte[] bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            if (bytes[0] == 169 && bytes[1] == 254)
            {
                return "it is a link-local address (169.254.0.0/16), which Kubernetes refuses as an endpoint.";
            }

            if (bytes[0] >= 224 && bytes[0] <= 239)
            {
                return "it is a multicast address, which Kubernetes refuses as an endpoint.";
            }
        }
        else
        {
            if (address.IsIPv6LinkLocal)
            {
                return "it is a link-local address (fe80::/10), which Kubernetes refuses as an endpoint.";
            }

            if (address.IsIPv6Multicast)
            {
                return "it is a multicast address, which Kubernetes refuses as an endpoint.";
            }
        }

        return null;
    }
}

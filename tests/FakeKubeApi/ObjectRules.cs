using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ClusterExpose.FakeKubeApi;

/// <summary>The validation the API server runs on the objects ClusterExpose writes (HTTP 422 when it fails).</summary>
internal static partial class ObjectRules
{
    public static List<(string Field, string Message)> Check(ServedResource type, JsonObject obj)
    {
        var problems = new List<(string, string)>();
        string name = (string?)obj["metadata"]?["name"] ?? string.Empty;
        // Kubernetes 1.36 checks a Service name as an RFC 1123 label (no longer RFC 1035: a leading digit is allowed).
        if (type.Kind == "Service" ? !Dns1123Label().IsMatch(name) || name.Length > 63 : !Dns1123Subdomain().IsMatch(name) || name.Length > 253)
        {
            problems.Add(("metadata.name", type.Kind == "Service"
                ? $"Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                : $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
        }

        foreach (var (key, value) in obj["metadata"]?["labels"] as JsonObject ?? new JsonObject())
        {
            string text = value?.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)value! : "?";
            if (text.Length > 63)
            {
                problems.Add(($"metadata.labels", $"Invalid value: \"{text}\": must be no more than 63 characters"));
            }
        }

        if (type.Kind == "EndpointSlice")
        {
            int index = 0;
            foreach (JsonNode? endpoint in obj["endpoints"] as JsonArray ?? new JsonArray())
            {
                int position = 0;
                foreach (JsonNode? address in endpoint?["addresses"] as JsonArray ?? new JsonArray())
                {
                    string text = (string?)address ?? string.Empty;
                    string field = $"endpoints[{index}].addresses[{position++}]";
                    if (!IPAddress.TryParse(text, out IPAddress? ip))
                    {
                        problems.Add((field, $"Invalid value: \"{text}\": must be a valid IP address"));
                    }
                    else if (IPAddress.IsLoopback(ip))
                    {
                        problems.Add((field, $"Invalid value: \"{text}\": may not be in the loopback range (127.0.0.0/8, ::1/128)"));
                    }
                    else if (ip.IsIPv6LinkLocal || (ip.GetAddressBytes() is [169, 254, _, _]))
                    {
                        problems.Add((field, $"Invalid value: \"{text}\": may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
                    }
                }

                index++;
            }
        }

        return problems;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();
}

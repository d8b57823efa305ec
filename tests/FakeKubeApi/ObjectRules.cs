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
        if (type.Kind == "Service" ? !Dns1035Label().IsMatch(name) || name.Length > 63 : !Dns1123Subdomain().IsMatch(name) || name.Length > 253)
        {
            problems.Add(("metadata.name", type.Kind == "Service"
                ? $"Invalid value: \"{name}\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
                : $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"));
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
                foreach (JsonNode? address in endpoint?["addresses"] as JsonArray ?? new JsonArray())
                {
                    string text = (string?)address ?? string.Empty;
                    if (!IPAddress.TryParse(text, out IPAddress? ip))
                    {
                        problems.Add(($"endpoints[{index}].addresses", $"Invalid value: \"{text}\": must be a valid IP address"));
                    }
                    else if (IPAddress.IsLoopback(ip) || ip.IsIPv6LinkLocal || (ip.GetAddressBytes() is [169, 254, _, _]))
                    {
                        problems.Add(($"endpoints[{index}].addresses", $"Invalid value: \"{text}\": may not be in the loopback range (127.0.0.0/8, ::1/128) or link-local range"));
                    }
                }

                index++;
            }
        }

        return problems;
    }

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035Label();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();
}

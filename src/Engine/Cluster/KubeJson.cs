using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterExpose.Engine.Yaml;

namespace ClusterExpose.Engine.Cluster;

/// <summary>
/// Converts between the manifest tree and the JSON the API server speaks. An apply body is the
/// rendered tree written as JSON (JSON is YAML, so it goes out as application/apply-patch+yaml);
/// objects read back become trees so the importer and the route reader can walk them unchanged.
/// </summary>
public static class KubeJson
{
    public static string Write(YNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, node);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, YNode node)
    {
        switch (node)
        {
            case YMap map:
                writer.WriteStartObject();
                foreach (KeyValuePair<string, YNode> entry in map)
                {
                    writer.WritePropertyName(entry.Key);
                    Write(writer, entry.Value);
                }

                writer.WriteEndObject();
                break;
            case YSequence sequence:
                writer.WriteStartArray();
                foreach (YNode item in sequence)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case YScalar { Type: YScalarType.Integer } integer when long.TryParse(integer.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number):
                writer.WriteNumberValue(number);
                break;
            case YScalar { Type: YScalarType.Boolean } boolean:
                writer.WriteBooleanValue(boolean.Value == "true");
                break;
            case YScalar { Type: YScalarType.Null }:
                writer.WriteNullValue();
                break;
            case YScalar scalar:
                writer.WriteStringValue(scalar.Value);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    public static YNode ToTree(JsonNode? node) => node switch
    {
        JsonObject obj => ToMap(obj),
        JsonArray array => ToSequence(array),
        JsonValue value => ToScalar(value),
        _ => new YScalar(string.Empty, YScalarType.Null),
    };

    private static YMap ToMap(JsonObject obj)
    {
        var map = new YMap();
        foreach (KeyValuePair<string, JsonNode?> entry in obj)
        {
            map.Add(entry.Key, ToTree(entry.Value));
        }

        return map;
    }

    private static YSequence ToSequence(JsonArray array)
    {
        var sequence = new YSequence();
        foreach (JsonNode? item in array)
        {
            sequence.Add(ToTree(item));
        }

        return sequence;
    }

    private static YScalar ToScalar(JsonValue value) => value.GetValueKind() switch
    {
        JsonValueKind.Number => new YScalar(value.ToJsonString(), value.TryGetValue(out long _) || long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? YScalarType.Integer : YScalarType.String),
        JsonValueKind.True => YScalar.Of(true),
        JsonValueKind.False => YScalar.Of(false),
        JsonValueKind.Null => new YScalar(string.Empty, YScalarType.Null),
        _ => YScalar.Of(value.TryGetValue(out string? text) ? text : value.ToJsonString()),
    };
}

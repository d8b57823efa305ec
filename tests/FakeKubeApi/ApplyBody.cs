using System;
using System.Globalization;
using System.IO;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;
using ClusterExpose.Engine.Yaml;
using YamlDotNet.RepresentationModel;

namespace ClusterExpose.FakeKubeApi;

/// <summary>Reads an apply body (JSON, or YAML as kubectl sends it) the way the API server decodes it.</summary>
internal static class ApplyBody
{
    public static JsonObject Parse(string body)
    {
        string trimmed = body.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new InvalidOperationException("the body is not an object");
        }

        var stream = new YamlStream();
        stream.Load(new StringReader(body));
        if (stream.Documents.Count != 1 || ToJson(stream.Documents[0].RootNode) is not JsonObject root)
        {
            throw new InvalidOperationException("the body is not exactly one object");
        }

        return root;
    }

    /// <summary>Every object of a YAML stream (or a JSON array, or one JSON object): the RBAC documents a test binds an account with.</summary>
    public static IReadOnlyList<JsonObject> ParseAll(string body)
    {
        string trimmed = body.TrimStart();
        if (trimmed.StartsWith('[') || trimmed.StartsWith('{'))
        {
            JsonNode? node = JsonNode.Parse(body);
            return node is JsonArray array ? array.OfType<JsonObject>().ToList() : new[] { (JsonObject)node! };
        }

        var stream = new YamlStream();
        stream.Load(new StringReader(body));
        return stream.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonObject>().ToList();
    }

    /// <summary>The object as the tree KindSchemas checks.</summary>
    public static YNode ToTree(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var map = new YMap();
                foreach (var (key, value) in obj)
                {
                    map.Add(key, ToTree(value));
                }

                return map;
            case JsonArray array:
                var sequence = new YSequence();
                foreach (JsonNode? item in array)
                {
                    sequence.Add(ToTree(item));
                }

                return sequence;
            case JsonValue value when value.TryGetValue(out bool flag):
                return YScalar.Of(flag);
            case JsonValue value when value.TryGetValue(out long number):
                return new YScalar(number.ToString(CultureInfo.InvariantCulture), YScalarType.Integer);
            case JsonValue value when value.TryGetValue(out string? text):
                return YScalar.Of(text);
            case JsonValue value:
                return new YScalar(value.ToJsonString(), YScalarType.String);
            default:
                return new YScalar(string.Empty, YScalarType.Null);
        }
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => new System.Collections.Generic.KeyValuePair<string, JsonNode?>(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    /// <summary>YAML 1.1 plain scalars as Kubernetes' decoder types them: numbers, booleans, null; quoted ones stay strings.</summary>
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        string text = scalar.Value ?? string.Empty;
        if (scalar.Style is YamlDotNet.Core.ScalarStyle.Plain)
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number))
            {
                return number;
            }

            switch (text)
            {
                case "true" or "True" or "TRUE" or "yes" or "on":
                    return true;
                case "false" or "False" or "FALSE" or "no" or "off":
                    return false;
                case "" or "~" or "null" or "Null" or "NULL":
                    return null;
            }
        }

        return text;
    }
}

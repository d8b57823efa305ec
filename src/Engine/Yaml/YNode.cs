using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;

namespace ClusterExpose.Engine.Yaml;

/// <summary>
/// A small ordered YAML tree. Manifests are built as trees so that key order, quoting and comments
/// are decided here once, not by a general-purpose serializer, and so that reading and writing share
/// one representation.
/// </summary>
public abstract class YNode
{
    /// <summary>1-based line in the source document, 0 for nodes built in code.</summary>
    public int Line { get; init; }
}

public enum YScalarType
{
    String,
    Integer,
    Boolean,
    Null,
}

public sealed class YScalar : YNode
{
    public YScalar(string value, YScalarType type)
    {
        Value = value;
        Type = type;
    }

    public string Value { get; }

    public YScalarType Type { get; }

    /// <summary>Emit as a literal block (<c>|-</c>): for embedded documents such as Helm values.</summary>
    public bool Literal { get; init; }

    public static YScalar Of(string value) => new(value, YScalarType.String);

    public static YScalar Of(int value) => new(value.ToString(CultureInfo.InvariantCulture), YScalarType.Integer);

    public static YScalar Of(bool value) => new(value ? "true" : "false", YScalarType.Boolean);

    public bool TryGetInt(out int value) =>
        int.TryParse(Value, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    public override string ToString() => Value;
}

public sealed class YSequence : YNode, IEnumerable<YNode>
{
    private readonly List<YNode> items = new();

    public int Count => items.Count;

    public YNode this[int index] => items[index];

    public YSequence Add(YNode item)
    {
        items.Add(item);
        return this;
    }

    public YSequence Add(string item) => Add(YScalar.Of(item));

    public IEnumerator<YNode> GetEnumerator() => items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed class YMap : YNode, IEnumerable<KeyValuePair<string, YNode>>
{
    /// <summary>Past this many keys a lookup goes through an index instead of a scan, so a huge mapping reads in linear time.</summary>
    private const int IndexFrom = 16;

    private readonly List<KeyValuePair<string, YNode>> entries = new();

    /// <summary>Key to the position of its first entry; built once the map is large.</summary>
    private Dictionary<string, int>? index;

    public int Count => entries.Count;

    public YMap Add(string key, YNode value)
    {
        entries.Add(new KeyValuePair<string, YNode>(key, value));
        if (index is not null)
        {
            index.TryAdd(key, entries.Count - 1);
        }
        else if (entries.Count > IndexFrom)
        {
            index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < entries.Count; i++)
            {
                index.TryAdd(entries[i].Key, i);
            }
        }

        return this;
    }

    public YMap Add(string key, string value) => Add(key, YScalar.Of(value));

    public YMap Add(string key, int value) => Add(key, YScalar.Of(value));

    public YMap Add(string key, bool value) => Add(key, YScalar.Of(value));

    public YNode? this[string key]
    {
        get
        {
            if (index is not null)
            {
                return index.TryGetValue(key, out int position) ? entries[position].Value : null;
            }

            foreach (var entry in entries)
            {
                if (entry.Key == key)
                {
                    return entry.Value;
                }
            }

            return null;
        }
    }

    public YMap? Map(string key) => this[key] as YMap;

    public YSequence? Sequence(string key) => this[key] as YSequence;

    /// <summary>The scalar text at <paramref name="key"/>, or null when absent or not a scalar.</summary>
    public string? Text(string key) => this[key] is YScalar { Type: not YScalarType.Null } scalar ? scalar.Value : null;

    /// <summary>Follows a path of keys through nested maps.</summary>
    public string? Text(params string[] path)
    {
        YMap? current = this;
        for (int i = 0; i < path.Length - 1 && current is not null; i++)
        {
            current = current.Map(path[i]);
        }

        return current?.Text(path[path.Length - 1]);
    }

    public IEnumerator<KeyValuePair<string, YNode>> GetEnumerator() => entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

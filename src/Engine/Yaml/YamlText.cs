using System;
using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ClusterExpose.Engine.Yaml;

/// <summary>A document to write: its tree and an optional comment line above it.</summary>
public sealed class YDocument
{
    public YDocument(YMap root, string? comment = null)
    {
        Root = root;
        Comment = comment;
    }

    public YMap Root { get; }

    public string? Comment { get; }
}

/// <summary>Writes and reads multi-document YAML with YamlDotNet's emitter and parser.</summary>
public static class YamlText
{
    // Kubernetes decodes YAML 1.1 style (sigs.k8s.io/yaml): these plain scalars would not stay strings.
    private static readonly Regex AmbiguousPlain = new(
        "^(?:~|null|true|false|yes|no|on|off|y|n|[-+]?\\.(?:inf|nan)|[-+]?(?:[0-9][0-9_]*)?(?:\\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|0x[0-9a-f_]+|0o?[0-7_]+|0b[01_]+|[0-9]+(?::[0-5]?[0-9])+)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    public static string Write(IEnumerable<YDocument> documents)
    {
        using var writer = new StringWriter { NewLine = "\n" };
        var emitter = new Emitter(writer, new EmitterSettings(2, int.MaxValue, false, 1024, false, true, "\n", false));
        emitter.Emit(new StreamStart());
        foreach (YDocument document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, false));
            if (document.Comment is not null)
            {
                foreach (string line in document.Comment.Split('\n'))
                {
                    emitter.Emit(new Comment(line, false));
                }
            }

            EmitNode(emitter, document.Root);
            emitter.Emit(new DocumentEnd(true));
        }

        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    /// <summary>Writes a bare mapping with no document markers: the text of an embedded values file.</summary>
    public static string WriteFragment(YMap map)
    {
        string text = Write(new[] { new YDocument(map) });
        text = text.StartsWith("---\n", StringComparison.Ordinal) ? text.Substring(4) : text;
        return text.TrimEnd('\n');
    }

    private static void EmitNode(IEmitter emitter, YNode node)
    {
        switch (node)
        {
            case YMap map:
                emitter.Emit(new MappingStart(null, null, true, map.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var entry in map)
                {
                    EmitScalar(emitter, YScalar.Of(entry.Key));
                    EmitNode(emitter, entry.Value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case YSequence sequence:
                emitter.Emit(new SequenceStart(null, null, true, sequence.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (YNode item in sequence)
                {
                    EmitNode(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case YScalar scalar:
                EmitScalar(emitter, scalar);
                break;
        }
    }

    private static void EmitScalar(IEmitter emitter, YScalar scalar)
    {
        ScalarStyle style = scalar.Type switch
        {
            YScalarType.String when scalar.Literal => ScalarStyle.Literal,
            YScalarType.String when scalar.Value.Length == 0 || AmbiguousPlain.IsMatch(scalar.Value) => ScalarStyle.DoubleQuoted,
            _ => ScalarStyle.Plain,
        };
        string value = scalar.Type == YScalarType.Null ? "null" : scalar.Value;
        emitter.Emit(new Scalar(null, null, value, style, style == ScalarStyle.Plain, style != ScalarStyle.Plain));
    }

    /// <summary>How deep mappings and sequences may nest; Kubernetes objects stay far below it.</summary>
    public const int MaxDepth = 100;

    /// <summary>Reads every document of a YAML stream; a syntax error comes back with its line and column.</summary>
    public static IReadOnlyList<YNode> Read(string text, out string? syntaxError)
    {
        IReadOnlyList<YNode> documents = ReadBounded(text, out YamlReadFailure? failure);
        syntaxError = failure?.Message;
        return documents;
    }

    /// <summary>
    /// Reads every document of a YAML stream, bounded: nesting deeper than <see cref="MaxDepth"/>, or
    /// aliases that would expand to far more nodes than the text holds (a "billion laughs"), are refused
    /// with <see cref="YamlReadFailure.LimitExceeded"/> instead of exhausting the stack or memory.
    /// </summary>
    public static IReadOnlyList<YNode> ReadBounded(string text, out YamlReadFailure? failure)
    {
        var documents = new List<YNode>();
        failure = null;
        var budget = new ReadBudget(1_000_000L + text.Length);
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var anchors = new Dictionary<string, (YNode Node, long Size)>(StringComparer.Ordinal);
                YNode root = parser.Accept<DocumentEnd>(out _) ? new YScalar(string.Empty, YScalarType.Null) : ReadNode(parser, anchors, budget, 0);
                parser.Consume<DocumentEnd>();
                documents.Add(root);
            }

            parser.Consume<StreamEnd>();
        }
        catch (YamlLimitException exception)
        {
            failure = new YamlReadFailure($"line {exception.Start.Line}, column {exception.Start.Column}: {exception.Message}", LimitExceeded: true);
        }
        catch (YamlException exception)
        {
            failure = new YamlReadFailure($"line {exception.Start.Line}, column {exception.Start.Column}: {exception.Message}", LimitExceeded: false);
        }

        return documents;
    }

    private static YNode ReadNode(IParser parser, Dictionary<string, (YNode Node, long Size)> anchors, ReadBudget budget, int depth)
    {
        int line = (int)parser.Current!.Start.Line;
        if (depth > MaxDepth)
        {
            throw new YamlLimitException(parser.Current.Start, parser.Current.End, $"mappings and sequences nest deeper than {MaxDepth} levels.");
        }

        YNode node;
        string? anchor = null;
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new YamlException(alias.Start, alias.End, $"the alias *{alias.Value.Value} names no anchor.");
            }

            // An alias stands for a whole copy of its anchor wherever the tree is walked: count it so.
            budget.Expanded += target.Size;
            if (budget.Expanded > budget.Limit)
            {
                throw new YamlLimitException(alias.Start, alias.End, $"aliases expand to more than {budget.Limit:N0} nodes; the document is refused rather than expanded.");
            }

            return target.Node;
        }

        long before = budget.Expanded++;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
            node = new YScalar(scalar.Value, Resolve(scalar)) { Line = line };
        }
        else if (parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            anchor = sequenceStart.Anchor.IsEmpty ? null : sequenceStart.Anchor.Value;
            var sequence = new YSequence { Line = line };
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                sequence.Add(ReadNode(parser, anchors, budget, depth + 1));
            }

            node = sequence;
        }
        else
        {
            var mappingStart = parser.Consume<MappingStart>();
            anchor = mappingStart.Anchor.IsEmpty ? null : mappingStart.Anchor.Value;
            var map = new YMap { Line = line };
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                YNode key = ReadNode(parser, anchors, budget, depth + 1);
                YNode value = ReadNode(parser, anchors, budget, depth + 1);
                if (key is not YScalar keyScalar)
                {
                    throw new YamlException(parser.Current!.Start, parser.Current.End, "a mapping key must be a plain value.");
                }

                if (map[keyScalar.Value] is not null)
                {
                    throw new YamlException(parser.Current!.Start, parser.Current.End, $"the key '{keyScalar.Value}' appears twice in one mapping.");
                }

                map.Add(keyScalar.Value, value);
            }

            node = map;
        }

        if (anchor is not null)
        {
            anchors[anchor] = (node, budget.Expanded - before);
        }

        return node;
    }

    /// <summary>How many nodes the documents read so far stand for, aliases counted as copies, and how many they may.</summary>
    private sealed class ReadBudget
    {
        public ReadBudget(long limit) => Limit = limit;

        public long Limit { get; }

        public long Expanded { get; set; }
    }

    private sealed class YamlLimitException : YamlException
    {
        public YamlLimitException(Mark start, Mark end, string message)
            : base(start, end, message)
        {
        }
    }

    private static YScalarType Resolve(Scalar scalar)
    {
        if (scalar.Style != ScalarStyle.Plain)
        {
            return YScalarType.String;
        }

        string value = scalar.Value;
        if (value.Length == 0 || value == "~" || value.Equals("null", StringComparison.OrdinalIgnoreCase))
        {
            return YScalarType.Null;
        }

        if (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return YScalarType.Boolean;
        }

        return long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? YScalarType.Integer
            : YScalarType.String;
    }
}

/// <summary>Why a YAML stream could not be read: a syntax error, or a bound on nesting or alias expansion.</summary>
public sealed record YamlReadFailure(string Message, bool LimitExceeded);

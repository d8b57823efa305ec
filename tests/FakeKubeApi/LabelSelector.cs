using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json.Nodes;

namespace ClusterExpose.FakeKubeApi;

/// <summary>Equality-based label selectors as the API server reads them: k=v, k==v, k!=v, k, !k, comma-separated (all must hold).</summary>
internal static class LabelSelector
{
    public static Func<JsonObject, bool> Parse(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return _ => true;
        }

        var tests = new List<Func<JsonObject?, bool>>();
        foreach (string raw in selector.Split(','))
        {
            string requirement = raw.Trim();
            if (requirement.Length == 0)
            {
                throw new FormatException($"empty requirement in '{selector}'");
            }

            if (requirement.Contains("!=", StringComparison.Ordinal))
            {
                var (key, value) = Split(requirement, "!=");
                tests.Add(labels => (string?)labels?[key] != value);
            }
            else if (requirement.Contains('=', StringComparison.Ordinal))
            {
                var (key, value) = Split(requirement, requirement.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                tests.Add(labels => (string?)labels?[key] == value);
            }
            else if (requirement.StartsWith('!'))
            {
                string key = Key(requirement[1..]);
                tests.Add(labels => labels?[key] is null);
            }
            else
            {
                string key = Key(requirement);
                tests.Add(labels => labels?[key] is not null);
            }
        }

        return item => tests.All(test => test(item["metadata"]?["labels"] as JsonObject));
    }

    private static (string Key, string Value) Split(string requirement, string op)
    {
        int at = requirement.IndexOf(op, StringComparison.Ordinal);
        return (Key(requirement[..at]), requirement[(at + op.Length)..].Trim());
    }

    private static string Key(string key)
    {
        key = key.Trim();
        if (key.Length == 0 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
        {
            throw new FormatException($"invalid label key '{key}'");
        }

        return key;
    }
}

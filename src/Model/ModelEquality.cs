using System;
using System.Linq;

namespace ClusterExpose;

internal static class ModelEquality
{
    // Host names and addresses are sets: the order they were given in, or read back from a manifest in, carries no meaning.
    public static bool SameSet(string[] left, string[] right) =>
        left.Length == right.Length
        && left.OrderBy(x => x, StringComparer.Ordinal).SequenceEqual(right.OrderBy(x => x, StringComparer.Ordinal), StringComparer.Ordinal);
}

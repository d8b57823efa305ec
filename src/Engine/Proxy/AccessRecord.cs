using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// One line of the access log (-AccessLog): a finished TLS or TCP connection, or a finished HTTP
/// request (the HTTP listener routes requests, so each is a line of its own, as HTTP proxies log).
/// It is the log event's state, so the JSON lines carry every field by name and the text lines read
/// as one sentence; nothing is built unless the access log is on.
/// </summary>
internal sealed class AccessRecord : IReadOnlyList<KeyValuePair<string, object?>>
{
    public static readonly EventId ConnectionFinished = new(30, "ConnectionFinished");
    public static readonly EventId RequestFinished = new(31, "RequestFinished");

    private static readonly Func<AccessRecord, Exception?, string> Format = static (record, _) => record.ToString();

    public IPEndPoint? Client { get; init; }

    public string Listener { get; init; } = string.Empty;

    /// <summary>The SNI or Host the client sent; empty when none was read (a plain port, a refusal before it).</summary>
    public string Name { get; init; } = string.Empty;

    public string? Method { get; init; }

    public string? Path { get; init; }

    public string Route { get; init; } = string.Empty;

    public string Target { get; init; } = string.Empty;

    /// <summary>The HTTP status the client got (the backend's, or the proxy's own refusal); 0 for a connection.</summary>
    public int Status { get; init; }

    public long BytesFromClient { get; init; }

    public long BytesToClient { get; init; }

    public double DurationMs { get; init; }

    /// <summary>closed, reset, timeout, drained, or rejected:Reason.</summary>
    public string Ending { get; init; } = string.Empty;

    public int Count => 12;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Client", Client?.ToString()),
        1 => new("Listener", Listener),
        2 => new("Name", Name),
        3 => new("Method", Method),
        4 => new("Path", Path),
        5 => new("Route", Route),
        6 => new("Target", Target),
        7 => new("Status", Status),
        8 => new("BytesFromClient", BytesFromClient),
        9 => new("BytesToClient", BytesToClient),
        10 => new("DurationMs", Math.Round(DurationMs, 3)),
        11 => new("Ending", Ending),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public void WriteTo(ILogger logger) => logger.Log(LogLevel.Information, Method is null ? ConnectionFinished : RequestFinished, this, null, Format);

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString()
    {
        string request = Method is null ? string.Empty : $" \"{Method} {Path}\" {Status}";
        string name = Name.Length == 0 ? "-" : Name;
        string route = Route.Length == 0 ? "-" : $"{Route} -> {(Target.Length == 0 ? "-" : Target)}";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Client?.ToString() ?? "-"} {Listener} {name}{request} {route} in={BytesFromClient} out={BytesToClient} {DurationMs:0.###}ms {Ending}");
    }
}

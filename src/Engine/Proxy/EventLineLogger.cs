using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// Writes each event as one line (standard error, for a proxy run with -Wait under systemd or in a
/// pod, where nobody calls Get-SniProxy). The event ids are those of <see cref="ProxyLog"/>.
/// </summary>
public sealed class EventLineLogger : ILogger
{
    private const string OriginalFormat = "{OriginalFormat}";
    private readonly TextWriter writer;
    private readonly EventLogFormat format;
    private readonly LogLevel minimum;
    private readonly object writing = new();

    public EventLineLogger(TextWriter writer, EventLogFormat format, LogLevel minimum = LogLevel.Information)
    {
        this.writer = writer;
        this.format = format;
        this.minimum = minimum;
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string message = formatter(state, exception);
        string line = format == EventLogFormat.Json
            ? Json(logLevel, eventId, message, state as IReadOnlyList<KeyValuePair<string, object?>>, exception)
            : $"{DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)} {logLevel} [{eventId.Id} {eventId.Name}] {message}" + (exception is null ? string.Empty : ": " + exception.Message);

        // Lines from several threads must not interleave, and a pipe must see each line when it happens.
        lock (writing)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }

    private static string Json(LogLevel level, EventId eventId, string message, IReadOnlyList<KeyValuePair<string, object?>>? fields, Exception? exception)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("level", level.ToString());
            json.WriteNumber("eventId", eventId.Id);
            json.WriteString("event", eventId.Name);
            json.WriteString("message", message);
            foreach (KeyValuePair<string, object?> field in fields ?? Array.Empty<KeyValuePair<string, object?>>())
            {
                if (field.Key == OriginalFormat || field.Key is "time" or "level" or "eventId" or "event" or "message")
                {
                    continue;
                }

                string name = char.ToLowerInvariant(field.Key[0]) + field.Key.Substring(1);
                switch (field.Value)
                {
                    case null:
                        json.WriteNull(name);
                        break;
                    case int number:
                        json.WriteNumber(name, number);
                        break;
                    case long number:
                        json.WriteNumber(name, number);
                        break;
                    case double number:
                        json.WriteNumber(name, number);
                        break;
                    default:
                        json.WriteString(name, Convert.ToString(field.Value, CultureInfo.InvariantCulture));
                        break;
                }
            }

            if (exception is not null)
            {
                json.WriteString("exception", exception.Message);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

using System;
using System.Collections.Generic;
using System.Net;
using Microsoft.Extensions.Logging;

namespace ClusterExpose.Engine.Proxy;

/// <summary>The proxy's log events. Event ids are stable: log pipelines filter on them.</summary>
internal static class ProxyLog
{
    private static readonly Action<ILogger, int, int, string, Exception?> ProxyStartedMessage =
        LoggerMessage.Define<int, int, string>(LogLevel.Information, new EventId(1, "ProxyStarted"), "Proxy {ProxyId} started with {RouteCount} routes (ClusterExpose {Version})");

    private static readonly Action<ILogger, int, long, long, long, long, Exception?> ProxyStoppedMessage =
        LoggerMessage.Define<int, long, long, long, long>(LogLevel.Information, new EventId(2, "ProxyStopped"), "Proxy {ProxyId} stopped: {Connections} connections, {BytesFromClients} bytes from clients, {BytesToClients} bytes to clients, {Rejected} rejected");

    private static readonly Action<ILogger, int, double, Exception?> DrainStartedMessage =
        LoggerMessage.Define<int, double>(LogLevel.Information, new EventId(5, "DrainStarted"), "Stopped accepting; {OpenConnections} open connections may finish within {DrainSeconds} s");

    private static readonly Action<ILogger, int, Exception?> DrainFinishedMessage =
        LoggerMessage.Define<int>(LogLevel.Information, new EventId(6, "DrainFinished"), "Drain over; {ResetConnections} connections still open were reset");

    private static readonly Action<ILogger, string, string, Exception?> ListenerStartedMessage =
        LoggerMessage.Define<string, string>(LogLevel.Information, new EventId(3, "ListenerStarted"), "Listening for {Kind} on {Endpoint}");

    private static readonly Action<ILogger, string, Exception?> ListenerStoppedMessage =
        LoggerMessage.Define<string>(LogLevel.Information, new EventId(4, "ListenerStopped"), "Stopped listening on {Endpoint}");

    private static readonly Action<ILogger, RejectionReason, IPEndPoint?, string, Exception?> ConnectionRejectedMessage =
        LoggerMessage.Define<RejectionReason, IPEndPoint?, string>(LogLevel.Debug, new EventId(10, "ConnectionRejected"), "Rejected {Reason} from {Client} on {Listener}");

    private static readonly Action<ILogger, IPEndPoint?, string, string, Exception?> ConnectionRoutedMessage =
        LoggerMessage.Define<IPEndPoint?, string, string>(LogLevel.Trace, new EventId(11, "ConnectionRouted"), "{Client} routed by {Router} to {Backend}");

    private static readonly Action<ILogger, string, string, Exception?> BackendFailedMessage =
        LoggerMessage.Define<string, string>(LogLevel.Warning, new EventId(12, "BackendConnectFailed"), "Route {Router} could not reach {Backend}");

    private static readonly Action<ILogger, string, int, Exception?> AcceptFailedMessage =
        LoggerMessage.Define<string, int>(LogLevel.Warning, new EventId(13, "AcceptFailed"), "Accepting on {Endpoint} failed; retrying in {DelayMs} ms");

    private static readonly Action<ILogger, int, string, string, string, Exception?> RoutesReloadedMessage =
        LoggerMessage.Define<int, string, string, string>(LogLevel.Information, new EventId(20, "RoutesReloaded"), "Routes reloaded: {RouteCount} routes; added: {Added}; removed: {Removed}; changed: {Changed}");

    private static readonly Action<ILogger, string, Exception?> ReloadRejectedMessage =
        LoggerMessage.Define<string>(LogLevel.Error, new EventId(21, "ReloadRejected"), "New routes rejected, the previous ones keep serving: {Problem}");

    public static void ProxyStarted(ILogger logger, int id, int routes) =>
        ProxyStartedMessage(logger, id, routes, typeof(ProxyLog).Assembly.GetName().Version?.ToString(3) ?? "?", null);

    public static void ProxyStopped(ILogger logger, int id, long connections, long fromClients, long toClients, long rejected) =>
        ProxyStoppedMessage(logger, id, connections, fromClients, toClients, rejected, null);

    public static void DrainStarted(ILogger logger, int open, TimeSpan drain) => DrainStartedMessage(logger, open, drain.TotalSeconds, null);

    public static void DrainFinished(ILogger logger, int reset) => DrainFinishedMessage(logger, reset, null);

    public static void ListenerStarted(ILogger logger, string kind, string endpoint) => ListenerStartedMessage(logger, kind, endpoint, null);

    public static void ListenerStopped(ILogger logger, string endpoint) => ListenerStoppedMessage(logger, endpoint, null);

    public static void ConnectionRejected(ILogger logger, RejectionReason reason, IPEndPoint? client, string listener) => ConnectionRejectedMessage(logger, reason, client, listener, null);

    public static void ConnectionRouted(ILogger logger, IPEndPoint? client, string router, string backend) => ConnectionRoutedMessage(logger, client, router, backend, null);

    public static void BackendFailed(ILogger logger, string router, string backend, Exception? exception) => BackendFailedMessage(logger, router, backend, exception);

    public static void AcceptFailed(ILogger logger, string endpoint, int delayMs, Exception exception) => AcceptFailedMessage(logger, endpoint, delayMs, exception);

    public static void RoutesReloaded(ILogger logger, int routes, IEnumerable<string> added, IEnumerable<string> removed, IEnumerable<string> changed) =>
        RoutesReloadedMessage(logger, routes, List(added), List(removed), List(changed), null);

    private static string List(IEnumerable<string> names) => string.Join(", ", names) is { Length: > 0 } joined ? joined : "none";

    public static void ReloadRejected(ILogger logger, string problem) => ReloadRejectedMessage(logger, problem, null);
}

/// <summary>
/// Keeps the last events in memory, so Get-SniProxy can show them; and passes every event on to
/// another logger when there is one (the lines a headless proxy writes to standard error). The
/// engine itself never writes to a console.
/// </summary>
public sealed class RecentEventsLogger : ILogger
{
    private readonly string?[] ring;
    private readonly LogLevel minimum;
    private readonly ILogger? alsoTo;
    private long next;

    public RecentEventsLogger(int capacity = 200, LogLevel minimum = LogLevel.Information, ILogger? alsoTo = null)
    {
        ring = new string?[capacity];
        this.minimum = minimum;
        this.alsoTo = alsoTo;
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum || alsoTo?.IsEnabled(logLevel) == true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        alsoTo?.Log(logLevel, eventId, state, exception, formatter);
        if (logLevel < minimum)
        {
            return;
        }

        string line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} [{eventId.Id} {eventId.Name}] {formatter(state, exception)}" + (exception is null ? string.Empty : ": " + exception.Message);
        long slot = System.Threading.Interlocked.Increment(ref next) - 1;
        ring[slot % ring.Length] = line;
    }

    public string[] Snapshot()
    {
        long end = System.Threading.Interlocked.Read(ref next);
        long start = Math.Max(0, end - ring.Length);
        var lines = new System.Collections.Generic.List<string>();
        for (long i = start; i < end; i++)
        {
            if (ring[i % ring.Length] is string line)
            {
                lines.Add(line);
            }
        }

        return lines.ToArray();
    }
}

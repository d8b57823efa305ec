using System;
using System.Net;
using Microsoft.Extensions.Logging;

namespace ClusterExpose.Engine.Proxy;

/// <summary>The proxy's log events. Event ids are stable: log pipelines filter on them.</summary>
internal static class ProxyLog
{
    private static readonly Action<ILogger, int, int, Exception?> ProxyStartedMessage =
        LoggerMessage.Define<int, int>(LogLevel.Information, new EventId(1, "ProxyStarted"), "Proxy {ProxyId} started with {RouteCount} routes");

    private static readonly Action<ILogger, int, Exception?> ProxyStoppedMessage =
        LoggerMessage.Define<int>(LogLevel.Information, new EventId(2, "ProxyStopped"), "Proxy {ProxyId} stopped");

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

    private static readonly Action<ILogger, int, Exception?> RoutesReloadedMessage =
        LoggerMessage.Define<int>(LogLevel.Information, new EventId(20, "RoutesReloaded"), "Routes reloaded: {RouteCount} routes");

    private static readonly Action<ILogger, string, Exception?> ReloadRejectedMessage =
        LoggerMessage.Define<string>(LogLevel.Error, new EventId(21, "ReloadRejected"), "New routes rejected, the previous ones keep serving: {Problem}");

    public static void ProxyStarted(ILogger logger, int id, int routes) => ProxyStartedMessage(logger, id, routes, null);

    public static void ProxyStopped(ILogger logger, int id) => ProxyStoppedMessage(logger, id, null);

    public static void ListenerStarted(ILogger logger, string kind, string endpoint) => ListenerStartedMessage(logger, kind, endpoint, null);

    public static void ListenerStopped(ILogger logger, string endpoint) => ListenerStoppedMessage(logger, endpoint, null);

    public static void ConnectionRejected(ILogger logger, RejectionReason reason, IPEndPoint? client, string listener) => ConnectionRejectedMessage(logger, reason, client, listener, null);

    public static void ConnectionRouted(ILogger logger, IPEndPoint? client, string router, string backend) => ConnectionRoutedMessage(logger, client, router, backend, null);

    public static void BackendFailed(ILogger logger, string router, string backend, Exception? exception) => BackendFailedMessage(logger, router, backend, exception);

    public static void AcceptFailed(ILogger logger, string endpoint, int delayMs, Exception exception) => AcceptFailedMessage(logger, endpoint, delayMs, exception);

    public static void RoutesReloaded(ILogger logger, int routes) => RoutesReloadedMessage(logger, routes, null);

    public static void ReloadRejected(ILogger logger, string problem) => ReloadRejectedMessage(logger, problem, null);
}

/// <summary>Keeps the last events in memory, so Get-SniProxy can show them: the engine never writes to a console.</summary>
public sealed class RecentEventsLogger : ILogger
{
    private readonly string?[] ring;
    private readonly LogLevel minimum;
    private long next;

    public RecentEventsLogger(int capacity = 200, LogLevel minimum = LogLevel.Information)
    {
        ring = new string?[capacity];
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

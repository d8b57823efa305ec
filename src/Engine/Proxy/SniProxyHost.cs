using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Routing;
using ClusterExpose.Engine.Validation;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// The proxies running in this process, by id, for Start-, Get-, Update- and Stop-SniProxy; and
/// the watch on a routes file. The cmdlets see only <see cref="SniProxyInfo"/> snapshots.
/// </summary>
public static class SniProxyHost
{
    private static readonly ConcurrentDictionary<int, Running> Proxies = new();
    private static int lastId;

    /// <summary>
    /// Loads and checks the routes a start would serve, or returns null with every reason they cannot
    /// be served; the set returned is the one <see cref="Plan"/> describes and <see cref="Start"/> serves.
    /// </summary>
    public static ProxyRouteSet? Prepare(RouteSource source, SniProxyOptions options, out IReadOnlyList<ExposeProblem> errors) =>
        ProxyRouteSet.Build(source, options, out errors);

    /// <summary>Loads routes for a running proxy, with its options (ports, Traefik version); a set that does not build is logged as a rejected reload.</summary>
    public static ProxyRouteSet? Prepare(int id, RouteSource source, out IReadOnlyList<ExposeProblem> errors)
    {
        Running running = Find(id);
        ProxyRouteSet? routes = ProxyRouteSet.Build(source, running.Options, out errors);
        if (routes is null)
        {
            ProxyLog.ReloadRejected(running.Server.Logger, string.Join(" ", errors.Select(e => e.Message)));
        }

        return routes;
    }

    /// <summary>Starts a proxy serving <paramref name="routes"/>, or returns null with the reason it cannot start (nothing is left listening then).</summary>
    public static SniProxyInfo? Start(ProxyRouteSet routes, SniProxyOptions options, string? watchPath, out IReadOnlyList<ExposeProblem> errors)
    {
        errors = Array.Empty<ExposeProblem>();
        int id = Interlocked.Increment(ref lastId);
        SniProxyServer server;
        try
        {
            server = SniProxyServer.Start(id, routes, options, new RecentEventsLogger());
        }
        catch (ClusterExposeException exception)
        {
            errors = new[] { exception.Problem };
            return null;
        }

        var running = new Running(server, options);
        if (watchPath is not null)
        {
            server.WatchedPath = watchPath;
            running.Watch(watchPath);
        }

        Proxies[id] = running;
        return server.Describe();
    }

    /// <summary>What a start would listen on and serve, for -WhatIf.</summary>
    public static IReadOnlyList<string> Plan(ProxyRouteSet routes, SniProxyOptions options)
    {
        IReadOnlyList<System.Net.IPAddress> addresses = options.EffectiveListenAddresses;
        return routes.Listeners
            .SelectMany(l => addresses.Select(a => $"{l.Kind} on {new System.Net.IPEndPoint(a, l.Port)} (entry point '{l.EntryPoint}')"))
            .Append($"{routes.RouteCount} routes: {string.Join(", ", routes.Served)}")
            .ToList();
    }

    public static IReadOnlyList<SniProxyInfo> List() =>
        Proxies.Values.Select(p => p.Server.Describe()).OrderBy(p => p.Id).ToList();

    public static SniProxyInfo Describe(int id) => Find(id).Server.Describe();

    /// <summary>Swaps in new routes (from <see cref="Prepare(int, RouteSource, out IReadOnlyList{ClusterExposeException})"/>); a set that needs a port that cannot be had changes nothing.</summary>
    public static SniProxyInfo? Update(int id, ProxyRouteSet routes, out IReadOnlyList<ExposeProblem> errors)
    {
        errors = Array.Empty<ExposeProblem>();
        Running running = Find(id);
        try
        {
            running.Server.Reload(routes);
        }
        catch (ClusterExposeException exception)
        {
            ProxyLog.ReloadRejected(running.Server.Logger, exception.Message);
            errors = new[] { exception.Problem };
            return null;
        }

        return running.Server.Describe();
    }

    public static SniProxyInfo Stop(int id, TimeSpan drain)
    {
        Running running = Find(id);
        running.StopWatching();
        running.Server.StopAsync(drain).GetAwaiter().GetResult();
        Proxies.TryRemove(id, out _);
        return running.Server.Describe();
    }

    private static Running Find(int id) =>
        Proxies.TryGetValue(id, out Running? running)
            ? running
            : throw new ClusterExposeException(ErrorIds.ProxyNotFound, ExposeErrorKind.ObjectNotFound, $"No SNI proxy with id {id} runs in this session.", id, "Get-SniProxy lists the running ones.");

    private sealed class Running
    {
        private FileSystemWatcher? watcher;
        private Timer? debounce;

        public Running(SniProxyServer server, SniProxyOptions options)
        {
            Server = server;
            Options = options;
        }

        public SniProxyServer Server { get; }

        public SniProxyOptions Options { get; }

        public void Watch(string path)
        {
            string full = Path.GetFullPath(path);
            debounce = new Timer(_ => ReloadFrom(full), null, Timeout.Infinite, Timeout.Infinite);
            watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
            };

            // Editors write in bursts (truncate, write, rename): settle before reading.
            FileSystemEventHandler changed = (_, _) => debounce.Change(250, Timeout.Infinite);
            watcher.Changed += changed;
            watcher.Created += changed;
            watcher.Renamed += (_, _) => debounce.Change(250, Timeout.Infinite);
            watcher.EnableRaisingEvents = true;
        }

        public void StopWatching()
        {
            watcher?.Dispose();
            debounce?.Dispose();
        }

        private void ReloadFrom(string path)
        {
            try
            {
                ProxyRouteSet? routes = ProxyRouteSet.Build(RouteSource.FromFile(path), Options, out IReadOnlyList<ExposeProblem> errors);
                if (routes is null)
                {
                    ProxyLog.ReloadRejected(Server.Logger, string.Join(" ", errors.Select(e => e.Message)));
                    return;
                }

                Update(Server.Id, routes, out _);
            }
            catch (Exception exception) when (exception is ClusterExposeException or IOException or UnauthorizedAccessException)
            {
                ProxyLog.ReloadRejected(Server.Logger, exception.Message);
            }
        }
    }
}

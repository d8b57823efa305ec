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

    /// <summary>
    /// Loads routes for a running proxy, with its options (ports, Traefik version); a set that does not
    /// build is logged as a rejected reload, unless <paramref name="recordRejection"/> is false (-WhatIf
    /// only asks, and a question is not a reload).
    /// </summary>
    public static ProxyRouteSet? Prepare(int id, RouteSource source, out IReadOnlyList<ExposeProblem> errors, bool recordRejection = true)
    {
        Running running = Find(id);
        ProxyRouteSet? routes = ProxyRouteSet.Build(source, running.Options, out errors);
        if (routes is null && recordRejection)
        {
            running.Server.RejectReload(string.Join(" ", errors.Select(e => e.Message)));
        }

        return routes;
    }

    /// <summary>
    /// Starts a proxy serving <paramref name="routes"/>, reloading them when <paramref name="watch"/>'s
    /// file changes; or returns null with the reason it cannot start (nothing is left listening then).
    /// </summary>
    /// <remarks>
    /// With <paramref name="eventLines"/>, every event is also written there, one line each in
    /// <paramref name="format"/> (a headless proxy's standard error). The logging types stay inside the
    /// engine: the facade, loaded beside other modules, names only a writer and a format.
    /// </remarks>
    public static SniProxyInfo? Start(ProxyRouteSet routes, SniProxyOptions options, RouteFileWatch? watch, out IReadOnlyList<ExposeProblem> errors, TextWriter? eventLines = null, EventLogFormat format = EventLogFormat.Text)
    {
        errors = Array.Empty<ExposeProblem>();
        int id = Interlocked.Increment(ref lastId);
        SniProxyServer server;
        try
        {
            server = SniProxyServer.Start(id, routes, options, new RecentEventsLogger(alsoTo: eventLines is null ? null : new EventLineLogger(eventLines, format)));
        }
        catch (ClusterExposeException exception)
        {
            errors = new[] { exception.Problem };
            return null;
        }

        var running = new Running(server, options);
        if (watch is not null)
        {
            server.WatchedPath = watch.Path;
            running.Watch(watch);
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
            running.Server.RejectReload(exception.Message);
            errors = new[] { exception.Problem };
            return null;
        }

        return running.Server.Describe();
    }

    /// <summary>Stops a proxy: no new connections, open ones finish within <paramref name="drain"/> (or until <paramref name="hurry"/>), then the rest are reset.</summary>
    public static SniProxyInfo Stop(int id, TimeSpan drain, CancellationToken hurry = default)
    {
        Running running = Find(id);
        running.StopWatching();
        running.Server.StopAsync(drain, hurry).GetAwaiter().GetResult();
        Proxies.TryRemove(id, out _);
        return running.Server.Describe();
    }

    private static Running Find(int id) =>
        Proxies.TryGetValue(id, out Running? running)
            ? running
            : throw new ClusterExposeException(ErrorIds.ProxyNotFound, ExposeErrorKind.ObjectNotFound, $"No SNI proxy with id {id} runs in this session.", id, "Get-SniProxy lists the running ones.");

    private sealed class Running
    {
        /// <summary>How often the routes file is read again whatever the watcher says: file systems and mounts that send no events still reload.</summary>
        private static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(2);

        private readonly object checking = new();
        private FileSystemWatcher? watcher;
        private Timer? settle;
        private Timer? recheck;
        private string? lastSeen;

        public Running(SniProxyServer server, SniProxyOptions options)
        {
            Server = server;
            Options = options;
        }

        public SniProxyServer Server { get; }

        public SniProxyOptions Options { get; }

        /// <summary>
        /// Watches the file's folder, not the file: a ConfigMap volume changes by swapping its
        /// <c>..data</c> symlink to a new folder, so the file's own entry never changes; an editor may
        /// rename a new file over it, or delete and write it again. Any change in the folder, and a
        /// re-check every two seconds, lead to reading the file; its content, compared by hash with
        /// what was last read, decides whether anything is reloaded.
        /// </summary>
        public void Watch(RouteFileWatch watch)
        {
            string full = Path.GetFullPath(watch.Path);
            lastSeen = Fingerprint(full);
            settle = new Timer(_ => Check(full, watch.Others), null, Timeout.Infinite, Timeout.Infinite);
            watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!)
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.CreationTime,
                IncludeSubdirectories = false,
            };

            // Writes come in bursts (truncate, write, rename; a new folder, a link, a swap): settle first.
            FileSystemEventHandler changed = (_, _) => settle.Change(250, Timeout.Infinite);
            watcher.Changed += changed;
            watcher.Created += changed;
            watcher.Deleted += changed;
            watcher.Renamed += (_, _) => settle.Change(250, Timeout.Infinite);
            watcher.EnableRaisingEvents = true;
            recheck = new Timer(_ => Check(full, watch.Others), null, RecheckEvery, RecheckEvery);
        }

        public void StopWatching()
        {
            watcher?.Dispose();
            settle?.Dispose();
            recheck?.Dispose();
        }

        /// <summary>What the file holds now: the hash of its content, or a marker when it cannot be read.</summary>
        private static string Fingerprint(string path)
        {
            try
            {
                return Hash(File.ReadAllText(path));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return "unreadable: " + exception.Message;
            }
        }

        private static string Hash(string text) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

        private void Check(string path, RouteSource others)
        {
            // The watcher and the re-check may fire together; one reads, the other has nothing to do.
            if (!Monitor.TryEnter(checking))
            {
                return;
            }

            try
            {
                string? text = null;
                try
                {
                    text = File.ReadAllText(path);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // Between a delete and the new file, or mid-swap: the running routes stay; said once.
                    string missing = "unreadable: " + exception.Message;
                    if (missing != lastSeen)
                    {
                        lastSeen = missing;
                        Server.RejectReload($"{path} cannot be read ({exception.Message}).");
                    }

                    return;
                }

                string seen = Hash(text);
                if (seen == lastSeen)
                {
                    return;
                }

                // Tried once per content: a broken file is reported once, not at every re-check.
                lastSeen = seen;

                // The file is read again; the routes from elsewhere (the pipeline, a cluster) stay as they were read.
                var source = new RouteSource();
                source.Add(others);
                source.Add(RouteSource.FromText(text, path));
                ProxyRouteSet? routes = ProxyRouteSet.Build(source, Options, out IReadOnlyList<ExposeProblem> errors);
                if (routes is null)
                {
                    Server.RejectReload(string.Join(" ", errors.Select(e => e.Message)));
                    return;
                }

                Update(Server.Id, routes, out _);
            }
            catch (ClusterExposeException exception)
            {
                Server.RejectReload(exception.Message);
            }
            finally
            {
                Monitor.Exit(checking);
            }
        }
    }
}

/// <summary>The routes file a proxy reloads when it changes, and the routes from elsewhere served beside it.</summary>
public sealed record RouteFileWatch(string Path, RouteSource Others);

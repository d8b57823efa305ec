using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Manifests;
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

    public static SniProxyInfo Start(IReadOnlyList<IExposeResource> resources, SniProxyOptions options, string? watchPath)
    {
        ProxyRouteSet routes = BuildOrThrow(resources, options);
        int id = Interlocked.Increment(ref lastId);
        var logger = new RecentEventsLogger();
        SniProxyServer server = SniProxyServer.Start(id, routes, options, logger);
        var running = new Running(server, options);
        if (watchPath is not null)
        {
            server.WatchedPath = watchPath;
            running.Watch(watchPath);
        }

        Proxies[id] = running;
        return server.Describe();
    }

    public static IReadOnlyList<SniProxyInfo> List() =>
        Proxies.Values.Select(p => p.Server.Describe()).OrderBy(p => p.Id).ToList();

    public static SniProxyInfo Describe(int id) => Find(id).Server.Describe();

    /// <summary>Swaps in new routes; a set that does not build throws and the old routes keep serving.</summary>
    public static SniProxyInfo Update(int id, IReadOnlyList<IExposeResource> resources)
    {
        Running running = Find(id);
        running.Server.Reload(BuildOrThrow(resources, running.Options));
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

    /// <summary>Reads a routes file: ClusterExpose manifests (or any the importer reads) as model objects.</summary>
    public static IReadOnlyList<IExposeResource> ReadRoutesFile(string path)
    {
        ImportResult imported = ManifestImporter.Import(File.ReadAllText(path), path);
        if (imported.Errors.Count > 0)
        {
            throw imported.Errors[0];
        }

        return imported.Resources;
    }

    private static ProxyRouteSet BuildOrThrow(IReadOnlyList<IExposeResource> resources, SniProxyOptions options)
    {
        ProxyRouteSet? routes = ProxyRouteSet.Build(resources, options, out IReadOnlyList<ClusterExposeException> errors);
        if (routes is null)
        {
            throw errors.Count == 1 ? errors[0] : new ProxyRoutesException(errors);
        }

        return routes;
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
                Server.Reload(BuildOrThrow(ReadRoutesFile(path), Options));
            }
            catch (Exception exception) when (exception is ClusterExposeException or ProxyRoutesException or IOException or UnauthorizedAccessException)
            {
                ProxyLog.ReloadRejected(Server.Logger, exception.Message);
            }
        }
    }
}

/// <summary>Several reasons a route set cannot be served, carried together.</summary>
public sealed class ProxyRoutesException : Exception
{
    public ProxyRoutesException(IReadOnlyList<ClusterExposeException> errors)
        : base(string.Join(" ", errors.Select(e => e.Message))) => Errors = errors;

    public IReadOnlyList<ClusterExposeException> Errors { get; }
}

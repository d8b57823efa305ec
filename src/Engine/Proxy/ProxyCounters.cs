using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;

namespace ClusterExpose.Engine.Proxy;

/// <summary>Why a connection was closed before reaching a backend.</summary>
public enum RejectionReason
{
    ConnectionLimit,
    SourceLimit,
    PendingLimit,
    HandshakeTimeout,
    NotTls,
    MalformedHello,
    HelloTooLarge,
    NoServerName,
    UnknownName,
    BadRequest,
    Http2Preface,
    NoRoute,
    BackendUnavailable,
    BackendTimeout,
    ClientGone,
}

/// <summary>Counters of one listener; updated with interlocked operations, read as a snapshot.</summary>
internal sealed class ListenerCounters
{
    private long active;
    private long total;
    private long peeks;
    private long peekTicks;

    public long Active => Interlocked.Read(ref active);

    public long Total => Interlocked.Read(ref total);

    public double MeanPeekMs
    {
        get
        {
            long count = Interlocked.Read(ref peeks);
            return count == 0 ? 0 : Interlocked.Read(ref peekTicks) * 1000.0 / Stopwatch.Frequency / count;
        }
    }

    public void Opened()
    {
        Interlocked.Increment(ref active);
        Interlocked.Increment(ref total);
    }

    public void Closed() => Interlocked.Decrement(ref active);

    public void Peeked(long ticks)
    {
        Interlocked.Increment(ref peeks);
        Interlocked.Add(ref peekTicks, ticks);
    }
}

/// <summary>Counters of one route; they outlive reloads, keyed by router name.</summary>
internal sealed class RouteCounters
{
    /// <summary>Upper bounds (seconds) of the backend connect-time histogram buckets; the last bucket is +Inf.</summary>
    public static readonly double[] ConnectBuckets = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };

    private readonly long[] connectBuckets = new long[ConnectBuckets.Length + 1];
    private long connectTicks;
    private long active;
    private long total;
    private long fromClients;
    private long toClients;
    private long backendFailures;
    private long requests;

    public long Active => Interlocked.Read(ref active);

    public long Total => Interlocked.Read(ref total);

    public long FromClients => Interlocked.Read(ref fromClients);

    public long ToClients => Interlocked.Read(ref toClients);

    public long BackendFailures => Interlocked.Read(ref backendFailures);

    /// <summary>HTTP requests routed by this router (each request of a keep-alive connection counts).</summary>
    public long Requests => Interlocked.Read(ref requests);

    public void Requested() => Interlocked.Increment(ref requests);

    public void Opened()
    {
        Interlocked.Increment(ref active);
        Interlocked.Increment(ref total);
    }

    public void Closed() => Interlocked.Decrement(ref active);

    public void AddFromClient(int bytes) => Interlocked.Add(ref fromClients, bytes);

    public void AddToClient(int bytes) => Interlocked.Add(ref toClients, bytes);

    public void BackendFailed() => Interlocked.Increment(ref backendFailures);

    /// <summary>How long connecting to the backend took, for a connect that succeeded.</summary>
    public void Connected(long ticks)
    {
        double seconds = ticks / (double)Stopwatch.Frequency;
        int bucket = 0;
        while (bucket < ConnectBuckets.Length && seconds > ConnectBuckets[bucket])
        {
            bucket++;
        }

        Interlocked.Increment(ref connectBuckets[bucket]);
        Interlocked.Add(ref connectTicks, ticks);
    }

    /// <summary>Connects per bucket (not cumulative), the last one +Inf.</summary>
    public long ConnectBucket(int index) => Interlocked.Read(ref connectBuckets[index]);

    public double ConnectSeconds => Interlocked.Read(ref connectTicks) / (double)Stopwatch.Frequency;
}

/// <summary>
/// Everything a proxy counts. Totals never go down: the counters of a route or listener a reload
/// removes are kept (and count on when it comes back), and the proxy's own totals count every
/// connection it ever took.
/// </summary>
internal sealed class ProxyCounters
{
    private readonly long[] rejections = new long[System.Enum.GetValues<RejectionReason>().Length];
    private long admitted;
    private long reloadsApplied;
    private long reloadsRejected;
    private long lastReloadUnixMs;

    public ConcurrentDictionary<string, RouteCounters> Routes { get; } = new(System.StringComparer.Ordinal);

    public ConcurrentDictionary<string, ListenerCounters> Listeners { get; } = new(System.StringComparer.Ordinal);

    /// <summary>Connections taken past the limits, over the proxy's life.</summary>
    public long Admitted => Interlocked.Read(ref admitted);

    public long Rejections
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < rejections.Length; i++)
            {
                sum += Interlocked.Read(ref rejections[i]);
            }

            return sum;
        }
    }

    public void Admit() => Interlocked.Increment(ref admitted);

    public long ReloadsApplied => Interlocked.Read(ref reloadsApplied);

    public long ReloadsRejected => Interlocked.Read(ref reloadsRejected);

    /// <summary>When routes were last loaded successfully (the start counts), in Unix milliseconds.</summary>
    public long LastReloadUnixMs => Interlocked.Read(ref lastReloadUnixMs);

    public void RoutesLoaded(bool reload)
    {
        if (reload)
        {
            Interlocked.Increment(ref reloadsApplied);
        }

        Interlocked.Exchange(ref lastReloadUnixMs, System.DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    public void ReloadRejected() => Interlocked.Increment(ref reloadsRejected);

    public ListenerCounters Listener(string key) => Listeners.GetOrAdd(key, _ => new ListenerCounters());

    public void Rejected(RejectionReason reason) => Interlocked.Increment(ref rejections[(int)reason]);

    public long RejectionCount(RejectionReason reason) => Interlocked.Read(ref rejections[(int)reason]);

    public RouteCounters Route(string router) => Routes.GetOrAdd(router, _ => new RouteCounters());
}

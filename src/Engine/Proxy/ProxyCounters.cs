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
    private long active;
    private long total;
    private long fromClients;
    private long toClients;
    private long backendFailures;

    public long Active => Interlocked.Read(ref active);

    public long Total => Interlocked.Read(ref total);

    public long FromClients => Interlocked.Read(ref fromClients);

    public long ToClients => Interlocked.Read(ref toClients);

    public long BackendFailures => Interlocked.Read(ref backendFailures);

    public void Opened()
    {
        Interlocked.Increment(ref active);
        Interlocked.Increment(ref total);
    }

    public void Closed() => Interlocked.Decrement(ref active);

    public void AddFromClient(int bytes) => Interlocked.Add(ref fromClients, bytes);

    public void AddToClient(int bytes) => Interlocked.Add(ref toClients, bytes);

    public void BackendFailed() => Interlocked.Increment(ref backendFailures);
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

    public ListenerCounters Listener(string key) => Listeners.GetOrAdd(key, _ => new ListenerCounters());

    public void Rejected(RejectionReason reason) => Interlocked.Increment(ref rejections[(int)reason]);

    public long RejectionCount(RejectionReason reason) => Interlocked.Read(ref rejections[(int)reason]);

    public RouteCounters Route(string router) => Routes.GetOrAdd(router, _ => new RouteCounters());
}

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

/// <summary>Everything a proxy counts.</summary>
internal sealed class ProxyCounters
{
    private readonly long[] rejections = new long[System.Enum.GetValues<RejectionReason>().Length];

    public ConcurrentDictionary<string, RouteCounters> Routes { get; } = new(System.StringComparer.Ordinal);

    public void Rejected(RejectionReason reason) => Interlocked.Increment(ref rejections[(int)reason]);

    public long RejectionCount(RejectionReason reason) => Interlocked.Read(ref rejections[(int)reason]);

    public RouteCounters Route(string router) => Routes.GetOrAdd(router, _ => new RouteCounters());
}

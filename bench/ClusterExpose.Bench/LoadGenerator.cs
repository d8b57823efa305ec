using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ClusterExpose.Bench;

/// <summary>The client side of every measurement; it runs on the core the proxy does not.</summary>
internal static class LoadGenerator
{
    private static readonly byte[] Small = Encoding.ASCII.GetBytes(Origins.SmallRequest);
    private static readonly int SmallResponseLength = Origins.SmallResponse.Length;

    /// <summary>Full TLS handshakes (no resumption) through <paramref name="port"/>; returns the wall time.</summary>
    public static async Task<TimeSpan> HandshakesAsync(int port, int count, int concurrency)
    {
        int next = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                using SslStream tls = await ConnectTlsAsync(port);
            }
        }));
        return watch.Elapsed;
    }

    /// <summary>
    /// New TLS connections as users' clients make them: a full handshake, one small request and its
    /// answer, then the close; <paramref name="concurrency"/> at a time. Returns the wall time.
    /// </summary>
    public static async Task<TimeSpan> ConnectionsWithRequestAsync(int port, int count, int concurrency)
    {
        int next = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                using IRequests connection = await TlsRequests.OpenAsync(port);
                await connection.ExchangeAsync();
            }
        }));
        return watch.Elapsed;
    }

    /// <summary>Sequential small requests on one kept-alive TLS connection; the latency of each, in microseconds.</summary>
    public static async Task<double[]> KeepAliveLatenciesAsync(int port, int requests) => (await InterleavedKeepAliveLatenciesAsync(new[] { port }, requests))[0];

    /// <summary>Requests per second over <paramref name="connections"/> kept-alive TLS connections for a fixed time.</summary>
    public static Task<double> KeepAliveThroughputAsync(int port, int connections, TimeSpan duration) => ThroughputAsync(() => TlsRequests.OpenAsync(port), connections, duration);

    /// <summary>Sequential small HTTP requests on one kept-alive plain connection; the latency of each, in microseconds.</summary>
    public static async Task<double[]> HttpLatenciesAsync(int port, int requests) => (await InterleavedHttpLatenciesAsync(new[] { port }, requests))[0];

    /// <summary>HTTP requests per second over <paramref name="connections"/> kept-alive plain connections for a fixed time.</summary>
    public static Task<double> HttpThroughputAsync(int port, int connections, TimeSpan duration) => ThroughputAsync(() => HttpRequests.OpenAsync(port), connections, duration);

    /// <summary>
    /// Sequential small requests on one kept-alive TLS connection to each port, taken in turn (the
    /// first port of each pass moves on by one every pass), one request in flight at a time; the
    /// latencies of each port's requests, in microseconds.
    /// </summary>
    public static Task<double[][]> InterleavedKeepAliveLatenciesAsync(IReadOnlyList<int> ports, int requests) =>
        InterleavedLatenciesAsync(ports.Select(port => (Func<Task<IRequests>>)(() => TlsRequests.OpenAsync(port))).ToArray(), requests);

    /// <summary>As <see cref="InterleavedKeepAliveLatenciesAsync"/>, for small HTTP requests on plain kept-alive connections.</summary>
    public static Task<double[][]> InterleavedHttpLatenciesAsync(IReadOnlyList<int> ports, int requests) =>
        InterleavedLatenciesAsync(ports.Select(port => (Func<Task<IRequests>>)(() => HttpRequests.OpenAsync(port))).ToArray(), requests);

    private static async Task<double[][]> InterleavedLatenciesAsync(IReadOnlyList<Func<Task<IRequests>>> opens, int requests)
    {
        var connections = new List<IRequests>(opens.Count);
        try
        {
            foreach (Func<Task<IRequests>> open in opens)
            {
                connections.Add(await open());
            }

            double[][] latencies = connections.Select(_ => new double[requests]).ToArray();
            for (int i = 0; i < requests; i++)
            {
                for (int turn = 0; turn < connections.Count; turn++)
                {
                    int which = (i + turn) % connections.Count;
                    long start = Stopwatch.GetTimestamp();
                    await connections[which].ExchangeAsync();
                    latencies[which][i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000;
                }
            }

            return latencies;
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }

    private static async Task<double> ThroughputAsync(Func<Task<IRequests>> open, int connections, TimeSpan duration)
    {
        long total = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            using IRequests connection = await open();
            long done = 0;
            while (watch.Elapsed < duration)
            {
                await connection.ExchangeAsync();
                done++;
            }

            Interlocked.Add(ref total, done);
        }));
        return total / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Reads <paramref name="bytes"/> of the source origin's bulk bytes (all of them when null) through a plain forward.</summary>
    public static async Task<(long Bytes, TimeSpan Elapsed)> BulkPlainAsync(int port, long? bytes = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var watch = Stopwatch.StartNew();
        byte[] command = new byte[bytes is null ? 1 : 9];
        command[0] = bytes is null ? (byte)'B' : (byte)'S';
        if (bytes is long count)
        {
            BitConverter.TryWriteBytes(command.AsSpan(1), count);
        }

        await socket.SendAsync(command);
        var buffer = new byte[256 * 1024];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            total += read;
        }

        return (total, watch.Elapsed);
    }

    /// <summary>Reads the TLS origin's bulk response through SNI passthrough.</summary>
    public static async Task<(long Bytes, TimeSpan Elapsed)> BulkTlsAsync(int port, long expected)
    {
        using SslStream tls = await ConnectTlsAsync(port);
        var watch = Stopwatch.StartNew();
        await tls.WriteAsync(Encoding.ASCII.GetBytes(Origins.BulkRequest));
        var buffer = new byte[256 * 1024];
        long total = 0;
        while (total < expected)
        {
            int read = await tls.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return (total, watch.Elapsed);
    }

    /// <summary>Opens <paramref name="count"/> connections through a plain forward that the origin holds open and silent.</summary>
    public static async Task<List<Socket>> OpenIdleAsync(int port, int count)
    {
        var sockets = new List<Socket>(count);
        for (int i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, port);
            await socket.SendAsync("H"u8.ToArray());
            sockets.Add(socket);
        }

        return sockets;
    }

    /// <summary>
    /// Opens <paramref name="count"/> TLS connections through SNI passthrough, 16 handshakes at a
    /// time, and leaves them silent (the origin waits for a request that does not come).
    /// </summary>
    public static async Task<List<SslStream>> OpenIdleTlsAsync(int port, int count)
    {
        var streams = new List<SslStream>(count);
        int next = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                SslStream tls = await ConnectTlsAsync(port);
                lock (streams)
                {
                    streams.Add(tls);
                }
            }
        }));
        return streams;
    }

    private static async Task<SslStream> ConnectTlsAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = Configs.ServerName,
            AllowTlsResume = false,
        });
        return tls;
    }

    /// <summary>One kept-alive client connection that sends the small request and reads its answer.</summary>
    private interface IRequests : IDisposable
    {
        Task ExchangeAsync();
    }

    /// <summary>The small request inside TLS passthrough: the origin's answer has a known length.</summary>
    private sealed class TlsRequests : IRequests
    {
        private readonly SslStream tls;
        private readonly byte[] buffer = new byte[256];

        private TlsRequests(SslStream tls) => this.tls = tls;

        public static async Task<IRequests> OpenAsync(int port) => new TlsRequests(await ConnectTlsAsync(port));

        public async Task ExchangeAsync()
        {
            await tls.WriteAsync(Small);
            await tls.ReadExactlyAsync(buffer.AsMemory(0, SmallResponseLength));
        }

        public void Dispose() => tls.Dispose();
    }

    /// <summary>
    /// One kept-alive HTTP/1.1 client connection: sends the small request and reads one response by
    /// its Content-Length (proxies may add headers of their own, so the length is read, not assumed).
    /// </summary>
    private sealed class HttpRequests : IRequests
    {
        private readonly Socket socket;
        private readonly byte[] buffer = new byte[8192];
        private int filled;

        private HttpRequests(Socket socket) => this.socket = socket;

        public static async Task<IRequests> OpenAsync(int port)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return new HttpRequests(socket);
        }

        public async Task ExchangeAsync()
        {
            await socket.SendAsync(Small, SocketFlags.None);
            int headEnd;
            while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                await FillAsync();
            }

            int total = headEnd + 4 + ContentLength(buffer.AsSpan(0, headEnd));
            while (filled < total)
            {
                await FillAsync();
            }

            Buffer.BlockCopy(buffer, total, buffer, 0, filled - total);
            filled -= total;
        }

        public void Dispose() => socket.Dispose();

        private async Task FillAsync()
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
            if (read == 0)
            {
                throw new InvalidOperationException("the proxy closed a kept-alive connection");
            }

            filled += read;
        }

        private static int ContentLength(ReadOnlySpan<byte> head)
        {
            string text = Encoding.ASCII.GetString(head);
            foreach (string line in text.Split("\r\n"))
            {
                if (line.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
                {
                    return int.Parse(line.AsSpan(15).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            throw new InvalidOperationException("a response without Content-Length");
        }
    }
}

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

    /// <summary>Sequential small requests on one kept-alive TLS connection; the latency of each, in microseconds.</summary>
    public static async Task<double[]> KeepAliveLatenciesAsync(int port, int requests)
    {
        using SslStream tls = await ConnectTlsAsync(port);
        var buffer = new byte[256];
        var latencies = new double[requests];
        for (int i = 0; i < requests; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await tls.WriteAsync(Small);
            await tls.ReadExactlyAsync(buffer.AsMemory(0, SmallResponseLength));
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000;
        }

        return latencies;
    }

    /// <summary>Requests per second over <paramref name="connections"/> kept-alive TLS connections for a fixed time.</summary>
    public static async Task<double> KeepAliveThroughputAsync(int port, int connections, TimeSpan duration)
    {
        long total = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            using SslStream tls = await ConnectTlsAsync(port);
            var buffer = new byte[256];
            long done = 0;
            while (watch.Elapsed < duration)
            {
                await tls.WriteAsync(Small);
                await tls.ReadExactlyAsync(buffer.AsMemory(0, SmallResponseLength));
                done++;
            }

            Interlocked.Add(ref total, done);
        }));
        return total / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Reads the source origin's bulk bytes through a plain forward.</summary>
    public static async Task<(long Bytes, TimeSpan Elapsed)> BulkPlainAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        var watch = Stopwatch.StartNew();
        await socket.SendAsync("B"u8.ToArray());
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
}

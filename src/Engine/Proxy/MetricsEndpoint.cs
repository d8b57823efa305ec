using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ClusterExpose.Engine.Proxy;

/// <summary>
/// The proxy's own small HTTP endpoint for operators: <c>/metrics</c> in the Prometheus text
/// exposition format (0.0.4), <c>/healthz</c> (the process answers) and <c>/readyz</c> (every
/// listener bound and the routes loaded: a readiness probe). One request per connection, a head of
/// at most 8 KiB read within 5 seconds: it is served to scrapers and probes, not to the internet.
/// </summary>
internal sealed class MetricsEndpoint
{
    private const int MaxHeadBytes = 8192;
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(5);

    private readonly SniProxyServer server;
    private readonly Socket socket;
    private readonly CancellationTokenSource stopping = new();

    private MetricsEndpoint(SniProxyServer server, Socket socket)
    {
        this.server = server;
        this.socket = socket;
        Endpoint = socket.LocalEndPoint?.ToString() ?? string.Empty;
    }

    public string Endpoint { get; }

    /// <summary>Binds and starts answering; throws <see cref="SocketException"/> when the port cannot be had.</summary>
    public static MetricsEndpoint Start(SniProxyServer server, IPEndPoint at)
    {
        var socket = new Socket(at.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(at);
            socket.Listen(64);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var endpoint = new MetricsEndpoint(server, socket);
        _ = endpoint.AcceptLoopAsync();
        return endpoint;
    }

    public void Stop()
    {
        stopping.Cancel();
        socket.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket.AcceptAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }

            _ = AnswerAsync(client);
        }
    }

    private async Task AnswerAsync(Socket client)
    {
        using (client)
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token))
        {
            deadline.CancelAfter(RequestDeadline);
            try
            {
                string? path = await ReadPathAsync(client, deadline.Token).ConfigureAwait(false);
                (int status, string type, string body) = path switch
                {
                    null => (400, "text/plain", "bad request\n"),
                    "/metrics" => (200, "text/plain; version=0.0.4; charset=utf-8", PrometheusText.Of(server)),
                    "/healthz" => (200, "text/plain", "ok\n"),
                    "/readyz" => server.State == SniProxyState.Running && server.Routes.Listeners.Count > 0
                        ? (200, "text/plain", "ready\n")
                        : (503, "text/plain", "not ready\n"),
                    _ => (404, "text/plain", "not found\n"),
                };
                byte[] payload = Encoding.UTF8.GetBytes(body);
                string reason = status switch { 200 => "OK", 400 => "Bad Request", 404 => "Not Found", _ => "Service Unavailable" };
                byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Type: {type}\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n");
                await client.SendAsync(head, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                await client.SendAsync(payload, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
            {
            }
        }
    }

    /// <summary>The path of a GET request, without its query; null for anything else or a head that does not end in time.</summary>
    private static async Task<string?> ReadPathAsync(Socket client, CancellationToken cancellation)
    {
        var buffer = new byte[MaxHeadBytes];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await client.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellation).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            filled += read;
            int end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                continue;
            }

            string line = Encoding.ASCII.GetString(buffer, 0, buffer.AsSpan(0, filled).IndexOf("\r\n"u8));
            string[] parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != "GET" || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                return null;
            }

            int query = parts[1].IndexOf('?');
            return query < 0 ? parts[1] : parts[1].Substring(0, query);
        }

        return null;
    }
}

/// <summary>The proxy's counters in the Prometheus text exposition format: base units, <c>_total</c> counters, labels route, listener, reason.</summary>
internal static class PrometheusText
{
    public static string Of(SniProxyServer server)
    {
        var text = new StringBuilder();
        ProxyCounters counters = server.Counters;
        var routes = counters.Routes.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        var listeners = counters.Listeners.OrderBy(l => l.Key, StringComparer.Ordinal).ToList();

        Family(text, "clusterexpose_proxy_connections_total", "counter", "Connections the proxy took (past its limits), over its life.");
        Sample(text, "clusterexpose_proxy_connections_total", null, counters.Admitted);
        Family(text, "clusterexpose_proxy_connections_active", "gauge", "Connections open now.");
        Sample(text, "clusterexpose_proxy_connections_active", null, server.ActiveConnections);
        Family(text, "clusterexpose_proxy_rejected_connections_total", "counter", "Connections closed before reaching a backend, by reason.");
        foreach (RejectionReason reason in Enum.GetValues<RejectionReason>())
        {
            Sample(text, "clusterexpose_proxy_rejected_connections_total", $"reason=\"{reason}\"", counters.RejectionCount(reason));
        }

        Each(text, listeners, "listener", "clusterexpose_proxy_listener_connections_total", "counter", "Connections accepted per listener.", l => l.Total);
        Each(text, listeners, "listener", "clusterexpose_proxy_listener_connections_active", "gauge", "Connections open per listener.", l => l.Active);
        Each(text, routes, "route", "clusterexpose_proxy_route_connections_total", "counter", "Backend connections opened per route (for HTTP routes, kept and reused across requests).", r => r.Total);
        Each(text, routes, "route", "clusterexpose_proxy_route_connections_active", "gauge", "Backend connections open per route now.", r => r.Active);
        Each(text, routes, "route", "clusterexpose_proxy_route_http_requests_total", "counter", "HTTP requests routed per route; each request of a keep-alive connection counts.", r => r.Requests);
        Each(text, routes, "route", "clusterexpose_proxy_route_received_bytes_total", "counter", "Bytes from clients per route.", r => r.FromClients);
        Each(text, routes, "route", "clusterexpose_proxy_route_sent_bytes_total", "counter", "Bytes to clients per route.", r => r.ToClients);
        Each(text, routes, "route", "clusterexpose_proxy_route_backend_connect_failures_total", "counter", "Backend connects that were refused or timed out, per route.", r => r.BackendFailures);

        Family(text, "clusterexpose_proxy_route_backend_connect_seconds", "histogram", "Time to connect to the backend, per route.");
        foreach (var (name, route) in routes)
        {
            long cumulative = 0;
            for (int i = 0; i <= RouteCounters.ConnectBuckets.Length; i++)
            {
                cumulative += route.ConnectBucket(i);
                string bound = i < RouteCounters.ConnectBuckets.Length ? RouteCounters.ConnectBuckets[i].ToString("R", CultureInfo.InvariantCulture) : "+Inf";
                Sample(text, "clusterexpose_proxy_route_backend_connect_seconds_bucket", Label("route", name) + $",le=\"{bound}\"", cumulative);
            }

            Sample(text, "clusterexpose_proxy_route_backend_connect_seconds_sum", Label("route", name), route.ConnectSeconds);
            Sample(text, "clusterexpose_proxy_route_backend_connect_seconds_count", Label("route", name), cumulative);
        }

        Family(text, "clusterexpose_proxy_reloads_total", "counter", "Route reloads, by result.");
        Sample(text, "clusterexpose_proxy_reloads_total", "result=\"applied\"", counters.ReloadsApplied);
        Sample(text, "clusterexpose_proxy_reloads_total", "result=\"rejected\"", counters.ReloadsRejected);
        Family(text, "clusterexpose_proxy_last_reload_success_timestamp_seconds", "gauge", "When routes were last loaded (the start counts), in Unix seconds.");
        Sample(text, "clusterexpose_proxy_last_reload_success_timestamp_seconds", null, counters.LastReloadUnixMs / 1000.0);
        Family(text, "clusterexpose_proxy_routes", "gauge", "Routes served now.");
        Sample(text, "clusterexpose_proxy_routes", null, server.Routes.RouteCount);
        Family(text, "clusterexpose_proxy_buffer_bytes", "gauge", "Bytes of buffers connections hold now.");
        Sample(text, "clusterexpose_proxy_buffer_bytes", null, server.BufferBytes);
        return text.ToString();
    }

    /// <summary>One family with a sample per route or listener, labelled by its name.</summary>
    private static void Each<T>(StringBuilder text, List<KeyValuePair<string, T>> items, string label, string name, string type, string help, Func<T, double> value)
    {
        Family(text, name, type, help);
        foreach (var (key, counters) in items)
        {
            Sample(text, name, Label(label, key), value(counters));
        }
    }

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder text, string name, string? labels, double value)
    {
        text.Append(name);
        if (labels is not null)
        {
            text.Append('{').Append(labels).Append('}');
        }

        text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>A label with its value escaped as the format asks (backslash, quote, newline).</summary>
    private static string Label(string name, string value) =>
        $"{name}=\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"";
}

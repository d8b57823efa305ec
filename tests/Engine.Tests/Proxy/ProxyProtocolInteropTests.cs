using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using ClusterExpose.Engine.Proxy;
using ClusterExpose.Engine.Tests.Probes;
using Xunit;

namespace ClusterExpose.Engine.Tests.Proxy;

/// <summary>
/// A real HAProxy (from Debian's package, installed by build.ps1) as the receiver of the PROXY
/// header: it reads ours with accept-proxy and announces what it read to a capturing backend with
/// its own send-proxy, so the capture shows whether HAProxy understood the client address we sent.
/// </summary>
public sealed class ProxyProtocolInteropTests
{
    [Theory]
    [InlineData(ProxyProtocolVersion.V1)]
    [InlineData(ProxyProtocolVersion.V2)]
    public async Task HAProxyReadsTheClientAddressFromOurHeader(ProxyProtocolVersion version)
    {
        var captured = new List<byte[]>();
        await using LoopbackServer capture = Backends.Capturing(captured, 4096);
        int haproxyPort = Backends.ClosedPort();
        string folder = Directory.CreateTempSubdirectory("clusterexpose-haproxy-").FullName;
        string config = Path.Combine(folder, "haproxy.cfg");
        File.WriteAllText(config, string.Join('\n',
            "global", "    maxconn 100",
            "defaults", "    mode tcp", "    timeout connect 5s", "    timeout client 30s", "    timeout server 30s",
            "frontend receiver", $"    bind 127.0.0.1:{haproxyPort} accept-proxy", "    default_backend capture",
            "backend capture", $"    server capture 127.0.0.1:{capture.Port} send-proxy", string.Empty));
        using Process haproxy = Process.Start(new ProcessStartInfo("haproxy", $"-f {config} -db") { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            await WaitForPortAsync(haproxyPort, haproxy);
            int publicPort = Backends.ClosedPort();
            await using ProxyUnderTest proxy = ProxyUnderTest.Start(new IExposeResource[] { ProxyUnderTest.Forward("db", publicPort, haproxyPort, version) });

            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, proxy.Port(ListenerKind.Tcp));
            int clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;
            await client.GetStream().WriteAsync("payload"u8.ToArray());
            client.Client.Shutdown(SocketShutdown.Send);
            await ProxyRoutingTests.WaitUntil(() => captured.Count == 1 && Encoding.ASCII.GetString(captured[0]).EndsWith("payload", StringComparison.Ordinal));

            // HAProxy's own line, written from what it parsed out of ours: our client's port and our listener's port.
            Assert.Equal($"PROXY TCP4 127.0.0.1 127.0.0.1 {clientPort} {publicPort}\r\npayload", Encoding.ASCII.GetString(captured[0]));
        }
        finally
        {
            haproxy.Kill();
            await haproxy.WaitForExitAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task WaitForPortAsync(int port, Process process)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(process.HasExited, "haproxy exited: " + (process.HasExited ? await process.StandardError.ReadToEndAsync() : string.Empty));
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(50);
            }
        }
    }
}

using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ClusterExpose.Engine.Tests.Probes;

/// <summary>Certificates made for the test run: a throwaway CA-less self-signed certificate per set of names.</summary>
internal static class TestCertificates
{
    public static X509Certificate2 Create(string subject, params string[] dnsNames) =>
        Create(subject, DateTimeOffset.UtcNow.AddMinutes(-5), new DateTimeOffset(2031, 1, 2, 3, 4, 5, TimeSpan.Zero), dnsNames);

    /// <summary>A certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/> (one already expired, say).</summary>
    public static X509Certificate2 Create(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, params string[] dnsNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in dnsNames)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using X509Certificate2 created = request.CreateSelfSigned(notBefore, notAfter);

        // Through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}

/// <summary>A server on 127.0.0.1 that runs <paramref name="handle"/> for every connection until disposed.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly Task acceptLoop;
    private readonly List<Task> connections = new();

    public LoopbackServer(Func<TcpClient, CancellationToken, Task> handle)
    {
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        acceptLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    return;
                }

                lock (connections)
                {
                    connections.Add(Task.Run(async () =>
                    {
                        using (client)
                        {
                            try
                            {
                                await handle(client, stop.Token);
                            }
                            catch (Exception) when (stop.IsCancellationRequested)
                            {
                            }
                            catch (Exception exception) when (exception is System.IO.IOException or SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
                            {
                                // The probe under test may hang up mid-handshake; that is its business.
                            }
                        }
                    }));
                }
            }
        });
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>A TLS server that picks its certificate by SNI, as a real ingress does, and speaks h2 or http/1.1.</summary>
    public static LoopbackServer Tls(X509Certificate2 fallback, IReadOnlyDictionary<string, X509Certificate2> bySni, List<string?>? seenSni = null) =>
        new(async (client, token) =>
        {
            using var stream = new SslStream(client.GetStream());
            var options = new SslServerAuthenticationOptions
            {
                ApplicationProtocols = new List<SslApplicationProtocol> { SslApplicationProtocol.Http2, SslApplicationProtocol.Http11 },
                ServerCertificateSelectionCallback = (_, name) =>
                {
                    lock (seenSni ?? new List<string?>())
                    {
                        seenSni?.Add(name);
                    }

                    return name is not null && bySni.TryGetValue(name, out X509Certificate2? chosen) ? chosen : fallback;
                },
            };
            await stream.AuthenticateAsServerAsync(options, token);
            _ = await stream.ReadAsync(new byte[1], token);
        });

    /// <summary>A server that answers whatever arrives with fixed bytes, then closes.</summary>
    public static LoopbackServer Replying(byte[] reply, List<string>? received = null) =>
        new(async (client, token) =>
        {
            NetworkStream stream = client.GetStream();
            var buffer = new byte[8192];
            int read = await stream.ReadAsync(buffer, token);
            lock (received ?? new List<string>())
            {
                received?.Add(Encoding.Latin1.GetString(buffer, 0, read));
            }

            await stream.WriteAsync(reply, token);
            client.Client.Shutdown(SocketShutdown.Send);
            _ = await stream.ReadAsync(buffer, token);
        });

    public static LoopbackServer Replying(string reply, List<string>? received = null) => Replying(Encoding.ASCII.GetBytes(reply), received);

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        await acceptLoop;
        Task[] pending;
        lock (connections)
        {
            pending = connections.ToArray();
        }

        await Task.WhenAll(pending);
        stop.Dispose();
    }
}

/// <summary>More loopback servers, as backends behind the proxy.</summary>
internal static class Backends
{
    /// <summary>Reads until the client's FIN, then answers with everything it read, reversed in case, and closes.</summary>
    public static LoopbackServer EchoAfterEof() => new(async (client, token) =>
    {
        NetworkStream stream = client.GetStream();
        var all = new System.IO.MemoryStream();
        await stream.CopyToAsync(all, token);
        byte[] reply = all.ToArray();
        await stream.WriteAsync(reply, token);
        client.Client.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Echoes every chunk as it arrives.</summary>
    public static LoopbackServer StreamingEcho() => new(async (client, token) =>
    {
        NetworkStream stream = client.GetStream();
        var buffer = new byte[65536];
        int read;
        while ((read = await stream.ReadAsync(buffer, token)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read), token);
        }

        client.Client.Shutdown(SocketShutdown.Send);
    });

    /// <summary>An HTTP/1.1 server answering every request with its own name and the Host it saw.</summary>
    public static LoopbackServer Http(string name) => new(async (client, token) =>
    {
        NetworkStream stream = client.GetStream();
        var buffer = new byte[16384];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(filled), token);
            if (read == 0)
            {
                return;
            }

            filled += read;
            string text = Encoding.Latin1.GetString(buffer, 0, filled);
            if (text.Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                string host = System.Text.RegularExpressions.Regex.Match(text, "(?im)^host:\\s*(.*?)\\s*$").Groups[1].Value;
                string body = name + " " + host + "\n";
                byte[] reply = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
                await stream.WriteAsync(reply, token);
                client.Client.Shutdown(SocketShutdown.Send);
                _ = await stream.ReadAsync(buffer, token);
                return;
            }
        }
    });

    /// <summary>Keeps the first bytes each connection sends (up to <paramref name="expected"/>), for byte-exact checks.</summary>
    public static LoopbackServer Capturing(List<byte[]> captured, int expected) => new(async (client, token) =>
    {
        NetworkStream stream = client.GetStream();
        var all = new System.IO.MemoryStream();
        var buffer = new byte[65536];
        while (all.Length < expected)
        {
            int read = await stream.ReadAsync(buffer, token);
            if (read == 0)
            {
                break;
            }

            all.Write(buffer, 0, read);
        }

        lock (captured)
        {
            captured.Add(all.ToArray());
        }
    });

    /// <summary>Resets the connection as soon as anything arrives.</summary>
    public static LoopbackServer Resetting() => new(async (client, token) =>
    {
        _ = await client.GetStream().ReadAsync(new byte[4096], token);
        client.Client.LingerState = new LingerOption(true, 0);
        client.Client.Close();
    });

    /// <summary>A port with nothing listening.</summary>
    public static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

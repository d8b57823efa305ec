using System;
using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ClusterExpose.Bench;

/// <summary>
/// The origins every proxy forwards to: a TLS server that answers small keep-alive requests and a
/// bulk request, a plain source that streams a fixed number of bytes, and a holder that keeps
/// connections open and silent.
/// </summary>
internal sealed class Origins : IDisposable
{
    public const string BulkRequest = "GET /bulk HTTP/1.1\r\nHost: bench.example.top\r\n\r\n";
    public const string SmallRequest = "GET / HTTP/1.1\r\nHost: bench.example.top\r\n\r\n";
    public const string SmallResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private readonly X509Certificate2 certificate;
    private readonly TcpListener tls = new(IPAddress.Loopback, 0);
    private readonly TcpListener source = new(IPAddress.Loopback, 0);
    private readonly TcpListener http = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();

    public Origins(long bulkBytes)
    {
        BulkBytes = bulkBytes;
        certificate = CreateCertificate();
        tls.Start(4096);
        source.Start(4096);
        http.Start(4096);
        _ = AcceptLoop(tls, ServeTlsAsync);
        _ = AcceptLoop(source, ServeSourceAsync);
        _ = AcceptLoop(http, ServeHttpAsync);
    }

    public long BulkBytes { get; }

    public int TlsPort => ((IPEndPoint)tls.LocalEndpoint).Port;

    public int SourcePort => ((IPEndPoint)source.LocalEndpoint).Port;

    /// <summary>Plain HTTP/1.1 with keep-alive: every request head gets the small response.</summary>
    public int HttpPort => ((IPEndPoint)http.LocalEndpoint).Port;

    public void Dispose()
    {
        stop.Cancel();
        tls.Stop();
        source.Stop();
        http.Stop();
        certificate.Dispose();
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=bench.example.top", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("bench.example.top");
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    private async Task AcceptLoop(TcpListener listener, Func<Socket, Task> serve)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            socket.NoDelay = true;
            _ = Task.Run(async () =>
            {
                try
                {
                    await serve(socket);
                }
                catch (Exception)
                {
                }
                finally
                {
                    socket.Dispose();
                }
            });
        }
    }

    private async Task ServeTlsAsync(Socket socket)
    {
        using var stream = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await stream.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate });
        var buffer = new byte[4096];
        byte[] small = Encoding.ASCII.GetBytes(SmallResponse);
        int filled = 0;
        while (true)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                return;
            }

            filled += read;
            string text = Encoding.ASCII.GetString(buffer, 0, filled);
            int end;
            while ((end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
            {
                if (text.StartsWith("GET /bulk", StringComparison.Ordinal))
                {
                    await WriteBulkAsync(stream, BulkBytes);
                    return;
                }

                await stream.WriteAsync(small);
                text = text.Substring(end + 4);
            }

            filled = Encoding.ASCII.GetBytes(text, buffer);
        }
    }

    private static async Task ServeHttpAsync(Socket socket)
    {
        var buffer = new byte[16384];
        byte[] small = Encoding.ASCII.GetBytes(SmallResponse);
        int filled = 0;
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                return;
            }

            filled += read;
            int start = 0;
            int end;
            while ((end = buffer.AsSpan(start, filled - start).IndexOf("\r\n\r\n"u8)) >= 0)
            {
                await socket.SendAsync(small);
                start += end + 4;
            }

            Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
            filled -= start;
        }
    }

    private async Task ServeSourceAsync(Socket socket)
    {
        // The first byte says what to do: 'B' streams the bulk bytes, 'S' and a 64-bit little-endian
        // count streams that many, 'H' holds the connection open.
        var command = new byte[1];
        if (await socket.ReceiveAsync(command) == 0)
        {
            return;
        }

        if (command[0] is (byte)'B' or (byte)'S')
        {
            using var stream = new NetworkStream(socket, ownsSocket: false);
            long bytes = BulkBytes;
            if (command[0] == (byte)'S')
            {
                var count = new byte[8];
                await stream.ReadExactlyAsync(count);
                bytes = Math.Min(BulkBytes, BitConverter.ToInt64(count));
            }

            await WriteBulkAsync(stream, bytes);
            socket.Shutdown(SocketShutdown.Send);
            return;
        }

        await socket.ReceiveAsync(new byte[1]);
    }

    private static async Task WriteBulkAsync(System.IO.Stream stream, long bytes)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            for (long sent = 0; sent < bytes; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, bytes - sent)));
            }

            await stream.FlushAsync();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}

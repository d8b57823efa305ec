using System;
using System.Buffers;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ClusterExpose.Engine.Proxy;

/// <summary>How one direction of a relay ended.</summary>
internal enum PumpOutcome
{
    /// <summary>The source sent FIN; the destination's send side was shut down in turn.</summary>
    SourceClosed,
    /// <summary>The source reset or failed.</summary>
    SourceFailed,
    /// <summary>Writing to the destination failed.</summary>
    DestinationFailed,
}

/// <summary>What a pump reports to the connection it belongs to; an interface, so a relay allocates no delegates.</summary>
internal interface IRelayObserver
{
    void Transferred(bool fromClient, int bytes);

    /// <summary>Called once per direction; anything but a clean FIN ends the other direction too.</summary>
    void Ended(PumpOutcome outcome);
}

/// <summary>
/// Copies one direction of a relay. It waits with a zero-byte receive, so an idle connection holds
/// no buffer; a buffer is rented only while bytes flow and returned as soon as the socket is
/// drained. Sends complete before the next receive, so a slow reader slows the writer and memory
/// stays bounded by one buffer per busy direction.
/// </summary>
internal static class SocketPump
{
    /// <param name="firstReadBytes">
    /// When bytes are known to be on their way (the rest of a TLS handshake), the first read goes
    /// straight into a buffer this small instead of waiting with a zero-byte read first: one trip
    /// through the socket engine fewer per direction, and a bounded cost if the peer stalls. 0 waits first.
    /// </param>
    public static async Task<PumpOutcome> RunAsync(Socket source, Socket destination, int bufferSize, IRelayObserver observer, bool fromClient, int firstReadBytes = 0)
    {
        bool waitFirst = firstReadBytes == 0;
        while (true)
        {
            if (waitFirst)
            {
                try
                {
                    await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                {
                    return Ended(observer, PumpOutcome.SourceFailed);
                }
            }

            byte[] buffer = ArrayPool<byte>.Shared.Rent(waitFirst ? bufferSize : firstReadBytes);
            waitFirst = true;
            try
            {
                while (true)
                {
                    int read;
                    try
                    {
                        read = await source.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    }
                    catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                    {
                        return Ended(observer, PumpOutcome.SourceFailed);
                    }

                    if (read == 0)
                    {
                        try
                        {
                            destination.Shutdown(SocketShutdown.Send);
                        }
                        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                        {
                            return Ended(observer, PumpOutcome.DestinationFailed);
                        }

                        return Ended(observer, PumpOutcome.SourceClosed);
                    }

                    if (!await SendAllAsync(destination, buffer.AsMemory(0, read), CancellationToken.None).ConfigureAwait(false))
                    {
                        return Ended(observer, PumpOutcome.DestinationFailed);
                    }

                    observer.Transferred(fromClient, read);

                    // A full read means more is likely waiting; otherwise give the buffer back and wait without one.
                    if (read < buffer.Length || buffer.Length < bufferSize)
                    {
                        break;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static PumpOutcome Ended(IRelayObserver observer, PumpOutcome outcome)
    {
        observer.Ended(outcome);
        return outcome;
    }

    /// <summary>Sends every byte; false when the destination failed or the token was canceled.</summary>
    public static async Task<bool> SendAllAsync(Socket destination, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        try
        {
            while (!data.IsEmpty)
            {
                int sent = await destination.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false);
                data = data.Slice(sent);
            }

            return true;
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }
}

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
    /// <summary>Idle timeout, a stop deadline, or the other direction failed.</summary>
    Canceled,
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
    public static async Task<PumpOutcome> RunAsync(Socket source, Socket destination, int bufferSize, IRelayObserver observer, bool fromClient)
    {
        PumpOutcome outcome = await CopyAsync(source, destination, bufferSize, observer, fromClient).ConfigureAwait(false);
        observer.Ended(outcome);
        return outcome;
    }

    private static async Task<PumpOutcome> CopyAsync(Socket source, Socket destination, int bufferSize, IRelayObserver observer, bool fromClient)
    {
        CancellationToken token = CancellationToken.None;
        while (true)
        {
            try
            {
                await source.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return PumpOutcome.Canceled;
            }
            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
            {
                return PumpOutcome.SourceFailed;
            }

            byte[] buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
            try
            {
                do
                {
                    int read;
                    try
                    {
                        read = await source.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return PumpOutcome.Canceled;
                    }
                    catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                    {
                        return PumpOutcome.SourceFailed;
                    }

                    if (read == 0)
                    {
                        try
                        {
                            destination.Shutdown(SocketShutdown.Send);
                        }
                        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                        {
                            return PumpOutcome.DestinationFailed;
                        }

                        return PumpOutcome.SourceClosed;
                    }

                    if (!await SendAllAsync(destination, buffer.AsMemory(0, read), token).ConfigureAwait(false))
                    {
                        return token.IsCancellationRequested ? PumpOutcome.Canceled : PumpOutcome.DestinationFailed;
                    }

                    observer.Transferred(fromClient, read);

                    // A full read means more is likely waiting; otherwise give the buffer back and wait without one.
                    if (read < buffer.Length)
                    {
                        break;
                    }
                }
                while (true);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
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

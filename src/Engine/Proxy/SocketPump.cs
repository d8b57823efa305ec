using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using ClusterExpose.Engine.Proxy.Transport;

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

    /// <summary>
    /// Called when this direction's source has sent FIN: true when the other direction had ended the
    /// same way, so that both are finished and the connection is about to close its sockets.
    /// </summary>
    bool FinishesLast();

    /// <summary>Called once per direction; anything but a clean FIN ends the other direction too.</summary>
    void Ended(PumpOutcome outcome);

    /// <summary>
    /// A token that is canceled once the whole relay has been quiet for a while (the connection's
    /// sweep decides); a new one each time traffic resumes after that.
    /// </summary>
    CancellationToken WhileActive();

    /// <summary>A buffer for a read; every one is given back with <see cref="ReturnBuffer"/>.</summary>
    byte[] RentBuffer(int size);

    void ReturnBuffer(byte[] buffer);
}

/// <summary>
/// Copies one direction of a relay. A quiet direction waits with a zero-byte receive and holds no
/// buffer; once it has woken for a second burst (a conversation, not a one-off), a read into a small
/// buffer stays posted, so each message costs one trip through the socket engine, until the relay has
/// been quiet for a second: then that read is canceled, the buffer goes back, and it waits without one
/// again. A full read moves to a large buffer until the burst is drained. Sends complete before the
/// next receive, so a slow reader slows the writer and memory stays bounded by one buffer per busy
/// direction. On an engine where a wait costs nothing (<see cref="ProxySocket.WaitsWithoutCost"/>),
/// every burst starts from a wait and reads are never posted.
/// </summary>
internal static class SocketPump
{
    /// <summary>Wake-ups from a zero-byte wait after which a read stays posted.</summary>
    private const int PostAfterWakeups = 2;

    /// <summary>The token of a direction with no read posted.</summary>
    private static readonly CancellationToken Quiet = new(canceled: true);

    /// <param name="postedReadBytes">The small buffer a posted read uses.</param>
    /// <param name="startPosted">
    /// Bytes are known to be on their way (the rest of a TLS handshake, an HTTP response): start with
    /// a posted read instead of a zero-byte wait.
    /// </param>
    /// <remarks>
    /// Nothing awaits the returned task: the pump reports how it ended through
    /// <see cref="IRelayObserver.Ended"/>, exactly once and after its buffer is back, whatever
    /// happened; so the connection needs no task of its own waiting on the relay.
    /// </remarks>
    public static async Task RunAsync(ProxySocket source, ProxySocket destination, int bufferSize, int postedReadBytes, IRelayObserver observer, bool fromClient, bool startPosted)
    {
        PumpOutcome outcome;
        try
        {
            // Where waiting costs nothing (the proxy's own loop), reads are never posted: no buffer, no
            // cancellation source and no canceled read when the relay goes quiet.
            bool postReads = !source.WaitsWithoutCost;
            CancellationToken posted = startPosted && postReads ? observer.WhileActive() : Quiet;
            int wakeups = 0;
            int size = postedReadBytes;
            while (true)
            {
                if (posted.IsCancellationRequested)
                {
                    try
                    {
                        await source.ReceiveAsync(Memory<byte>.Empty).ConfigureAwait(false);
                    }
                    catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                    {
                        outcome = PumpOutcome.SourceFailed;
                        goto Finished;
                    }

                    // Bytes are waiting, so this read takes a large buffer; a second wake-up is a conversation.
                    size = bufferSize;
                    if (++wakeups >= PostAfterWakeups && postReads)
                    {
                        posted = observer.WhileActive();
                    }
                }

                byte[] buffer = observer.RentBuffer(size);
                try
                {
                    while (true)
                    {
                        int read;
                        try
                        {
                            read = posted.IsCancellationRequested
                                ? await source.ReceiveAsync(buffer.AsMemory()).ConfigureAwait(false)
                                : await source.ReceiveAsync(buffer.AsMemory(), posted).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (posted.IsCancellationRequested)
                        {
                            // The relay went quiet while this read was posted: give the buffer back and wait without one.
                            wakeups = 0;
                            break;
                        }
                        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                        {
                            outcome = PumpOutcome.SourceFailed;
                            goto Finished;
                        }

                        if (read == 0)
                        {
                            try
                            {
                                // The second FIN of a relay needs no shutdown of its own: the connection
                                // closes both sockets as this pump ends, and the close sends the FIN.
                                if (!observer.FinishesLast())
                                {
                                    destination.Shutdown(SocketShutdown.Send);
                                }

                                outcome = PumpOutcome.SourceClosed;
                            }
                            catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
                            {
                                outcome = PumpOutcome.DestinationFailed;
                            }

                            goto Finished;
                        }

                        if (!await SendAllAsync(destination, buffer.AsMemory(0, read), CancellationToken.None).ConfigureAwait(false))
                        {
                            outcome = PumpOutcome.DestinationFailed;
                            goto Finished;
                        }

                        observer.Transferred(fromClient, read);

                        // A full read means more is likely waiting: read on, in a large buffer. A short one
                        // ends the burst: a posted read waits in a small buffer, a quiet one in none.
                        if (read == buffer.Length)
                        {
                            if (buffer.Length != bufferSize)
                            {
                                size = bufferSize;
                                break;
                            }
                        }
                        else if (posted.IsCancellationRequested || buffer.Length != postedReadBytes)
                        {
                            size = postedReadBytes;
                            break;
                        }
                    }
                }
                finally
                {
                    observer.ReturnBuffer(buffer);
                }
            }
        }
        catch (Exception)
        {
            // Nothing else is expected here; whatever it was, this direction is over and the relay
            // ends as on a reset rather than losing track of the connection.
            outcome = PumpOutcome.SourceFailed;
        }

    Finished:
        observer.Ended(outcome);
    }

    /// <summary>Sends every byte; false when the destination failed or the token was canceled.</summary>
    public static async Task<bool> SendAllAsync(ProxySocket destination, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        try
        {
            while (!data.IsEmpty)
            {
                int sent = await destination.SendAsync(data, token).ConfigureAwait(false);
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

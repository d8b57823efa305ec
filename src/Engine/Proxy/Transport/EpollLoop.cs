using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;

namespace ClusterExpose.Engine.Proxy.Transport;

/// <summary>
/// One thread waiting in epoll_wait for the sockets registered with it, edge-triggered. An event
/// completes the operation the socket has pending right there on this thread (a receive reads, a send
/// sends, a connect reads its result) and runs its continuation inline, so one readiness costs one
/// system call and no hop to another thread. A socket is found from its event by a slot number and a
/// generation, never by a pointer, so an event for a socket closed meanwhile finds nothing.
/// </summary>
internal sealed unsafe class EpollLoop
{
    private const int EventsPerWait = 256;

    [ThreadStatic]
    private static EpollLoop? current;

    private readonly int epoll;
    private readonly object slotGate = new();
    private LoopSocket?[] slots = new LoopSocket?[256];
    private int[] freeSlots = new int[256];
    private int freeCount;
    private int usedSlots;
    private uint generation;

    private EpollLoop(int epoll, int index)
    {
        this.epoll = epoll;
        var thread = new Thread(Run) { IsBackground = true, Name = "ClusterExpose epoll " + index };
        thread.Start();
    }

    /// <summary>The loop whose thread is running this code, if any.</summary>
    public static EpollLoop? Current => current;

    /// <summary>A new loop with its thread; throws when epoll cannot be had.</summary>
    public static EpollLoop Start(int index)
    {
        int epoll = LinuxSockets.epoll_create1(LinuxSockets.EpollCloExec);
        if (epoll < 0)
        {
            throw LinuxSockets.Error(LinuxSockets.Errno);
        }

        return new EpollLoop(epoll, index);
    }

    /// <summary>What a connection is watched for: reading, writing and the peer's close, edge-triggered.</summary>
    public const uint ConnectionEvents = LinuxSockets.EpollIn | LinuxSockets.EpollOut | LinuxSockets.EpollRdHup | LinuxSockets.EpollEdgeTriggered;

    /// <summary>Watches a socket's descriptor for the events given; throws when the kernel refuses.</summary>
    public void Register(LoopSocket socket, int fd, uint mask = ConnectionEvents)
    {
        uint socketGeneration;
        int slot;
        lock (slotGate)
        {
            if (freeCount > 0)
            {
                slot = freeSlots[--freeCount];
            }
            else
            {
                if (usedSlots == slots.Length)
                {
                    Array.Resize(ref slots, slots.Length * 2);
                    Array.Resize(ref freeSlots, slots.Length);
                }

                slot = usedSlots++;
            }

            socketGeneration = ++generation;
            socket.Slot = slot;
            socket.Generation = socketGeneration;
            Volatile.Write(ref slots[slot], socket);
        }

        int error = LinuxSockets.EpollAdd(epoll, fd, mask, ((ulong)socketGeneration << 32) | (uint)slot);
        if (error != 0)
        {
            Unregister(socket);
            throw LinuxSockets.Error(error);
        }
    }

    /// <summary>Forgets a socket; its descriptor leaves the epoll set when it is closed (or, borrowed, is removed by the caller).</summary>
    public void Unregister(LoopSocket socket)
    {
        lock (slotGate)
        {
            if (socket.Slot >= 0 && slots[socket.Slot] == socket)
            {
                slots[socket.Slot] = null;
                freeSlots[freeCount++] = socket.Slot;
            }

            socket.Slot = -1;
        }
    }

    /// <summary>Takes a borrowed descriptor (a listener's) out of the epoll set before its owner closes it.</summary>
    public void Remove(int fd) => LinuxSockets.EpollRemove(epoll, fd);

    private void Run()
    {
        current = this;
        int size = LinuxSockets.EpollEventSize;
        int dataOffset = LinuxSockets.EpollDataOffset;
        byte* events = (byte*)NativeMemory.Alloc((nuint)(EventsPerWait * size));
        while (true)
        {
            int count = LinuxSockets.epoll_wait(epoll, events, EventsPerWait, -1);
            if (count < 0)
            {
                int errno = LinuxSockets.Errno;
                Debug.Assert(errno == LinuxSockets.EIntr, "epoll_wait failed: " + errno);
                continue;
            }

            for (int i = 0; i < count; i++)
            {
                byte* record = events + (i * size);
                uint mask = *(uint*)record;
                ulong data = *(ulong*)(record + dataOffset);
                int slot = (int)(uint)data;
                LoopSocket?[] table = Volatile.Read(ref slots);
                LoopSocket? socket = slot < table.Length ? Volatile.Read(ref table[slot]) : null;
                if (socket is null || socket.Generation != (uint)(data >> 32))
                {
                    continue;
                }

                try
                {
                    socket.OnEvents(mask);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    // A continuation's failure belongs to its own task; nothing may end the loop that every
                    // other connection of this thread waits on.
                    Debug.Fail("A socket continuation threw on the event loop: " + exception);
                }
            }
        }
    }
}

/// <summary>The proxy's own epoll loops, one per core the process may run on (at most four), shared by every proxy in the process.</summary>
internal sealed class EventLoopEngine : SocketEngine
{
    private readonly EpollLoop[] loops;
    private int next;

    private EventLoopEngine(EpollLoop[] loops)
    {
        this.loops = loops;
    }

    public override string Name => "epoll";

    /// <summary>The engine, or null where the loop cannot run (not Linux, no C library found).</summary>
    public static SocketEngine? TryCreate()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("CLUSTEREXPOSE_SOCKET_ENGINE") == "runtime")
        {
            return null;
        }

        try
        {
            int count = Math.Clamp(Environment.ProcessorCount, 1, 4);
            var loops = new EpollLoop[count];
            for (int i = 0; i < count; i++)
            {
                loops[i] = EpollLoop.Start(i);
            }

            return new EventLoopEngine(loops);
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException or SocketException)
        {
            return null;
        }
    }

    public override ProxySocket Create(AddressFamily family) => LoopSocket.Create(EpollLoop.Current ?? NextLoop(), family);

    /// <summary>
    /// One acceptor per loop, each watching the listener exclusively (the kernel wakes one loop per
    /// new connection) and accepting onto its own loop: a connection is read, routed and relayed on
    /// the thread that accepted it, and the loops share the connections between them.
    /// </summary>
    public override IReadOnlyList<SocketAcceptor> Listen(Socket listening)
    {
        // Inherited by every accepted socket, so none needs a system call of its own for it.
        listening.NoDelay = true;
        listening.Blocking = false;
        var acceptors = new List<SocketAcceptor>(loops.Length);
        try
        {
            foreach (EpollLoop loop in loops)
            {
                acceptors.Add(new LoopAcceptor(loop, (int)listening.Handle));
            }
        }
        catch
        {
            acceptors.ForEach(a => a.Dispose());
            throw;
        }

        return acceptors;
    }

    /// <summary>Spreads sockets made off the loops' threads over the loops in turn.</summary>
    internal EpollLoop NextLoop() => loops.Length == 1 ? loops[0] : loops[(int)((uint)Interlocked.Increment(ref next) % (uint)loops.Length)];
}

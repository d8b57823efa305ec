using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ClusterExpose.Engine.Proxy.Transport;

/// <summary>
/// The few Linux calls the proxy's own event loop makes: epoll and the socket calls on raw
/// descriptors. The constants are the Linux ones (the same on x86-64 and arm64); only epoll's event
/// record differs between the two (packed on x86-64).
/// </summary>
internal static unsafe class LinuxSockets
{
    private const string Libc = "libc.so.6";

    public const int AddressFamilyInet = 2;
    public const int AddressFamilyInet6 = 10;
    public const int SockStream = 1;
    public const int SockNonBlock = 0x800;
    public const int SockCloExec = 0x80000;
    public const int EpollCloExec = 0x80000;

    public const uint EpollIn = 0x1;
    public const uint EpollOut = 0x4;
    public const uint EpollErr = 0x8;
    public const uint EpollHup = 0x10;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEdgeTriggered = 1u << 31;
    public const uint EpollExclusive = 1u << 28;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;

    public const int SolSocket = 1;
    public const int SoError = 4;
    public const int SoLinger = 13;
    public const int IpProtoTcp = 6;
    public const int TcpNoDelay = 1;
    public const int MsgPeek = 0x2;
    public const int MsgDontWait = 0x40;
    public const int MsgNoSignal = 0x4000;
    public const int ShutRead = 0;
    public const int ShutWrite = 1;

    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EInProgress = 115;

    /// <summary>Bytes of one epoll_event: a 32-bit mask and 64 bits of data, packed on x86-64 only.</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Where the data field starts in an epoll_event.</summary>
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    /// <summary>The largest socket address the loop reads or writes (sockaddr_in6).</summary>
    public const int SocketAddressBytes = 28;

    [DllImport(Libc, SetLastError = true)]
    public static extern int epoll_create1(int flags);

    [DllImport(Libc, SetLastError = true)]
    private static extern int epoll_ctl(int epfd, int op, int fd, byte* eventRecord);

    [DllImport(Libc, SetLastError = true)]
    public static extern int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);

    [DllImport(Libc, SetLastError = true)]
    public static extern int socket(int domain, int type, int protocol);

    [DllImport(Libc, SetLastError = true)]
    public static extern int connect(int fd, byte* address, int length);

    [DllImport(Libc, SetLastError = true)]
    public static extern int accept4(int fd, byte* address, int* length, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint recv(int fd, byte* buffer, nint length, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint send(int fd, byte* buffer, nint length, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern int shutdown(int fd, int how);

    [DllImport(Libc, SetLastError = true)]
    public static extern int close(int fd);

    [DllImport(Libc, SetLastError = true)]
    public static extern int setsockopt(int fd, int level, int name, byte* value, int length);

    [DllImport(Libc, SetLastError = true)]
    public static extern int getsockopt(int fd, int level, int name, byte* value, int* length);

    [DllImport(Libc, SetLastError = true)]
    public static extern int getsockname(int fd, byte* address, int* length);

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>Adds a descriptor to an epoll set with the given mask and data; the errno on failure, else 0.</summary>
    public static int EpollAdd(int epfd, int fd, uint events, ulong data)
    {
        byte* record = stackalloc byte[16];
        *(uint*)record = events;
        *(ulong*)(record + EpollDataOffset) = data;
        return epoll_ctl(epfd, EpollCtlAdd, fd, record) == 0 ? 0 : Errno;
    }

    public static void EpollRemove(int epfd, int fd)
    {
        byte* record = stackalloc byte[16];
        _ = epoll_ctl(epfd, EpollCtlDel, fd, record);
    }

    public static int SetInt(int fd, int level, int name, int value) =>
        setsockopt(fd, level, name, (byte*)&value, sizeof(int)) == 0 ? 0 : Errno;

    /// <summary>SO_LINGER on with a zero timeout: the close that follows sends a reset.</summary>
    public static void SetZeroLinger(int fd)
    {
        long linger = 1; // struct linger { int l_onoff = 1; int l_linger = 0; }
        _ = setsockopt(fd, SolSocket, SoLinger, (byte*)&linger, 8);
    }

    /// <summary>The pending error of a socket (how a non-blocking connect ended), 0 for none.</summary>
    public static int PendingError(int fd)
    {
        int error = 0;
        int length = sizeof(int);
        return getsockopt(fd, SolSocket, SoError, (byte*)&error, &length) == 0 ? error : Errno;
    }

    /// <summary>Writes an endpoint as sockaddr_in or sockaddr_in6; the length used.</summary>
    public static int WriteAddress(IPEndPoint endpoint, Span<byte> into)
    {
        into.Slice(0, SocketAddressBytes).Clear();
        ushort port = (ushort)endpoint.Port;
        into[2] = (byte)(port >> 8);
        into[3] = (byte)port;
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            into[0] = AddressFamilyInet;
            endpoint.Address.TryWriteBytes(into.Slice(4, 4), out _);
            return 16;
        }

        into[0] = AddressFamilyInet6;
        endpoint.Address.TryWriteBytes(into.Slice(8, 16), out _);
        uint scope = (uint)endpoint.Address.ScopeId;
        into[24] = (byte)scope;
        into[25] = (byte)(scope >> 8);
        into[26] = (byte)(scope >> 16);
        into[27] = (byte)(scope >> 24);
        return SocketAddressBytes;
    }

    /// <summary>Reads a sockaddr_in or sockaddr_in6; null for any other family.</summary>
    public static IPEndPoint? ReadAddress(ReadOnlySpan<byte> address)
    {
        int port = (address[2] << 8) | address[3];
        switch (address[0] | (address[1] << 8))
        {
            case AddressFamilyInet:
                return new IPEndPoint(new IPAddress(address.Slice(4, 4)), port);
            case AddressFamilyInet6:
                long scope = (uint)(address[24] | (address[25] << 8) | (address[26] << 16) | (address[27] << 24));
                return new IPEndPoint(new IPAddress(address.Slice(8, 16), scope), port);
            default:
                return null;
        }
    }

    /// <summary>The SocketError a Linux errno stands for, so callers catch the same exceptions as from <see cref="Socket"/>.</summary>
    public static SocketException Error(int errno) => new(errno switch
    {
        104 => (int)SocketError.ConnectionReset,
        32 => (int)SocketError.ConnectionReset,
        111 => (int)SocketError.ConnectionRefused,
        110 => (int)SocketError.TimedOut,
        113 => (int)SocketError.HostUnreachable,
        101 => (int)SocketError.NetworkUnreachable,
        107 => (int)SocketError.NotConnected,
        103 => (int)SocketError.ConnectionAborted,
        23 or 24 => (int)SocketError.TooManyOpenSockets,
        105 => (int)SocketError.NoBufferSpaceAvailable,
        99 => (int)SocketError.AddressNotAvailable,
        98 => (int)SocketError.AddressAlreadyInUse,
        97 => (int)SocketError.AddressFamilyNotSupported,
        9 => (int)SocketError.OperationAborted,
        _ => (int)SocketError.SocketError,
    });
}

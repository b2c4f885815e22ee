using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AspireChat.Bench.Load;

/// <summary>
/// One thread that waits on every user's socket with epoll and reads each one the moment it has data. The load
/// generator shares its core with the mock, and a chunk must cost it as little as possible: a receive on .NET's
/// async sockets is an epoll wake-up, a thread-pool hop and a task continuation per frame; here it is one
/// <c>recv</c> per ready socket, and every socket ready at one wake-up is read in the same pass. Every frame of a
/// pass is timestamped with the moment epoll returned, when all of them had arrived.
/// </summary>
internal sealed partial class SocketLoop : IDisposable
{
    /// <summary>A socket's owner: told when the socket has data (or was closed or failed) by the loop's thread.</summary>
    public interface IReader
    {
        void OnReadable(long timestamp);
    }

    private const int EpollCloExec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const uint EpollIn = 0x001;
    private const uint EpollRdHup = 0x2000;
    private const int Interrupted = 4;
    private const int MaxEvents = 256;

    // struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes).
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private readonly ConcurrentDictionary<int, IReader> _readers = new();
    private readonly int _epoll;
    private readonly Thread _thread;
    private volatile bool _stopping;

    public SocketLoop()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The load generator reads its sockets with epoll: Linux only.");
        }

        _epoll = EpollCreate(EpollCloExec);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "Load generator socket loop" };
        _thread.Start();
    }

    /// <summary>Watches <paramref name="socket"/> (non-blocking) for data until <see cref="Remove"/>.</summary>
    public void Add(Socket socket, IReader reader)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var fd = Descriptor(socket);
        _readers[fd] = reader;
        Span<byte> registration = stackalloc byte[16];
        Write(registration, EpollIn | EpollRdHup, (ulong)fd);
        if (EpollControl(_epoll, EpollCtlAdd, fd, ref MemoryMarshal.GetReference(registration)) != 0)
        {
            _readers.TryRemove(fd, out _);
            throw new InvalidOperationException($"epoll_ctl(ADD) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Stops watching <paramref name="socket"/>; call before closing it, as its number may be reused.</summary>
    public void Remove(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        var fd = Descriptor(socket);
        Span<byte> registration = stackalloc byte[16];
        _ = EpollControl(_epoll, EpollCtlDel, fd, ref MemoryMarshal.GetReference(registration));
        _readers.TryRemove(fd, out _);
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _ = Close(_epoll);
    }

    private static int Descriptor(Socket socket) => (int)socket.SafeHandle.DangerousGetHandle();

    private void Run()
    {
        var events = new byte[MaxEvents * EventSize];
        while (!_stopping)
        {
            // A timeout, so Dispose is seen within 100 ms when nothing arrives.
            var ready = EpollWait(_epoll, ref MemoryMarshal.GetArrayDataReference(events), MaxEvents, 100);
            var timestamp = Stopwatch.GetTimestamp();
            if (ready < 0 && Marshal.GetLastPInvokeError() == Interrupted)
            {
                continue;
            }

            for (var i = 0; i < ready; i++)
            {
                var fd = (int)BitConverter.ToUInt64(events, (i * EventSize) + DataOffset);
                if (_readers.TryGetValue(fd, out var reader))
                {
                    reader.OnReadable(timestamp);
                }
            }
        }
    }

    private static void Write(Span<byte> registration, uint events, ulong data)
    {
        BitConverter.TryWriteBytes(registration, events);
        BitConverter.TryWriteBytes(registration[DataOffset..], data);
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollControl(int epoll, int operation, int fd, ref byte registration);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, ref byte events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

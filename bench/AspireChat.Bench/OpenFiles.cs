using System.Runtime.InteropServices;

namespace AspireChat.Bench;

/// <summary>Raises this process's open-files limit to its hard limit: ten thousand sockets need ten thousand descriptors.</summary>
internal static partial class OpenFiles
{
    private const int RlimitNoFile = 7;

    public static void RaiseLimit()
    {
        if (!OperatingSystem.IsLinux() || GetLimit(RlimitNoFile, out var limit) != 0 || limit.Current >= limit.Maximum)
        {
            return;
        }

        limit.Current = limit.Maximum;
        // Best effort: when it fails the idle run reports the connections it could not open.
        _ = SetLimit(RlimitNoFile, in limit);
    }

    /// <summary>The current soft limit (for the report).</summary>
    public static ulong Current => GetLimit(RlimitNoFile, out var limit) == 0 ? limit.Current : 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetLimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetLimit(int resource, in ResourceLimit limit);
}

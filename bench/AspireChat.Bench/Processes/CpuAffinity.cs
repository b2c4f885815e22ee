using System.Globalization;
using System.Runtime.InteropServices;

namespace AspireChat.Bench.Processes;

/// <summary>
/// Which cores a process may run on, read from <c>/proc</c> and set with <c>sched_setaffinity</c>. The pinned method
/// gives ChatApi one core and the harness (mock, load generator) the other, so each one's CPU is its own.
/// </summary>
internal static partial class CpuAffinity
{
    /// <summary>The cores <paramref name="pid"/> may run on (<c>Cpus_allowed_list</c> of its main thread).</summary>
    public static IReadOnlyList<int> Allowed(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"/proc/{pid}/status has no Cpus_allowed_list.");
        return ParseList(line["Cpus_allowed_list:".Length..]);
    }

    /// <summary>Reads a kernel CPU list such as <c>0</c>, <c>0-1</c> or <c>0,2-3</c>.</summary>
    public static IReadOnlyList<int> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cores = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var (first, last) = dash < 0 ? (Core(part), Core(part)) : (Core(part[..dash]), Core(part[(dash + 1)..]));
            if (last < first)
            {
                throw new FormatException($"'{part}' is not a CPU range: it ends before it starts.");
            }

            for (var core = first; core <= last; core++)
            {
                cores.Add(core);
            }
        }

        return cores.Count > 0 ? [.. cores] : throw new FormatException("A CPU list names at least one core.");
    }

    /// <summary>The list as the kernel and <c>taskset -c</c> write it: <c>0</c>, <c>0,1</c>.</summary>
    public static string FormatList(IEnumerable<int> cores) => string.Join(',', cores.Order().Select(c => c.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Pins every thread of <paramref name="pid"/> to <paramref name="cores"/>. Threads started later inherit the mask
    /// from the thread that starts them, so the whole process stays there. Twice over the thread list: a thread
    /// started while the first pass ran is caught by the second.
    /// </summary>
    public static void Pin(int pid, IReadOnlyList<int> cores)
    {
        ArgumentNullException.ThrowIfNull(cores);
        var mask = 0UL;
        foreach (var core in cores)
        {
            mask |= core is >= 0 and < 64 ? 1UL << core : throw new ArgumentOutOfRangeException(nameof(cores), core, "Cores 0 to 63 only.");
        }

        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var tid = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                // A thread that ended between the listing and the call is gone: nothing to pin.
                if (SetAffinity(tid, sizeof(ulong), in mask) != 0 && Marshal.GetLastPInvokeError() != NoSuchProcess)
                {
                    throw new InvalidOperationException($"sched_setaffinity({tid}) failed with errno {Marshal.GetLastPInvokeError()}.");
                }
            }
        }
    }

    private const int NoSuchProcess = 3;

    private static int Core(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var core)
            ? core
            : throw new FormatException($"'{text}' is not a core number.");

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SetAffinity(int pid, nint size, in ulong mask);
}

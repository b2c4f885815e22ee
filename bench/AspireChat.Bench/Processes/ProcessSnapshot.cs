using System.Globalization;

namespace AspireChat.Bench.Processes;

/// <summary>A process's CPU time and memory as Linux reports them in <c>/proc/{pid}</c>.</summary>
internal readonly record struct ProcessSnapshot(TimeSpan CpuTime, long ResidentBytes, long PeakResidentBytes)
{
    // USER_HZ is 100 on every Linux this runs on (getconf CLK_TCK).
    private const double TicksPerSecond = 100;

    /// <summary>Reads <c>/proc/{pid}/stat</c> (utime + stime) and <c>/proc/{pid}/status</c> (VmRSS, VmHWM).</summary>
    public static ProcessSnapshot Read(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);

        long rss = 0, hwm = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = ReadKilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = ReadKilobytes(line);
            }
        }

        return new ProcessSnapshot(TimeSpan.FromSeconds(ticks / TicksPerSecond), rss, hwm);
    }

    private static long ReadKilobytes(string line) =>
        long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
}

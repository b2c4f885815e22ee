using System.Globalization;
using System.Runtime.InteropServices;

namespace AspireChat.Bench.Report;

/// <summary>The machine the figures were taken on, for the report.</summary>
public sealed record MachineInfo(string Cpu, int Cores, double MemoryGiB, string Kernel, string Runtime, double LoadAverageAtStart, ulong OpenFilesLimit)
{
    public static MachineInfo Read()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memoryKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        return new MachineInfo(
            cpu,
            Environment.ProcessorCount,
            double.Parse(memoryKb, CultureInfo.InvariantCulture) / 1024 / 1024,
            File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            RuntimeInformation.FrameworkDescription,
            double.Parse(load, CultureInfo.InvariantCulture),
            OpenFiles.Current);
    }

    /// <summary>The one-minute load average now: how busy the machine is with work that is not the benchmark's.</summary>
    public static double LoadAverage() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}

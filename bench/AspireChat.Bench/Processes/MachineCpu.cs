using System.Globalization;

namespace AspireChat.Bench.Processes;

/// <summary>The whole machine's busy and total CPU ticks (all cores), from the first line of <c>/proc/stat</c>.</summary>
internal readonly record struct MachineCpu(long BusyTicks, long TotalTicks)
{
    public static MachineCpu Read()
    {
        var line = File.ReadLines("/proc/stat").First();
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
        var total = values.Sum();
        return new MachineCpu(total - values[3] - values[4], total);
    }

    /// <summary>Share of all cores busy between <paramref name="start"/> and this reading, in percent (100 = every core).</summary>
    public double BusyPercentSince(MachineCpu start) =>
        TotalTicks == start.TotalTicks ? 0 : 100.0 * (BusyTicks - start.BusyTicks) / (TotalTicks - start.TotalTicks);
}

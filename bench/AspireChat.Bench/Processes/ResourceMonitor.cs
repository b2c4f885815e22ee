using System.Diagnostics;

namespace AspireChat.Bench.Processes;

/// <summary>What one process used during a measured window.</summary>
/// <param name="Name">The process, as the report names it.</param>
/// <param name="CpuPercent">CPU time over wall time, in percent of one core (200 = both cores of this machine).</param>
/// <param name="PeakResidentBytes">The highest resident set seen while sampling the window.</param>
/// <param name="ResidentBytesAtEnd">The resident set when the window closed.</param>
public sealed record ProcessUsage(string Name, double CpuPercent, long PeakResidentBytes, long ResidentBytesAtEnd);

/// <summary>
/// Samples the benchmark's processes through <c>/proc</c> for one measured window: CPU from the change in
/// utime + stime, peak memory by polling the resident set (VmHWM would include everything before the window).
/// </summary>
internal sealed class ResourceMonitor : IAsyncDisposable
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);

    private readonly IReadOnlyList<(string Name, int Pid)> _processes;
    private readonly ProcessSnapshot[] _start;
    private readonly long[] _peak;
    private readonly MachineCpu _machineStart;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    private ResourceMonitor(IReadOnlyList<(string Name, int Pid)> processes)
    {
        _processes = processes;
        _start = [.. processes.Select(p => ProcessSnapshot.Read(p.Pid))];
        _peak = [.. _start.Select(s => s.ResidentBytes)];
        _machineStart = MachineCpu.Read();
        _sampling = SampleAsync(_stop.Token);
    }

    public static ResourceMonitor Start(IReadOnlyList<(string Name, int Pid)> processes) => new(processes);

    /// <summary>Closes the window and returns each process's usage and the machine's busy share.</summary>
    public async Task<(IReadOnlyList<ProcessUsage> Processes, double MachineBusyPercent)> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        var elapsed = Stopwatch.GetElapsedTime(_started);
        var machine = MachineCpu.Read().BusyPercentSince(_machineStart);
        var usage = new List<ProcessUsage>();
        for (var i = 0; i < _processes.Count; i++)
        {
            var end = ProcessSnapshot.Read(_processes[i].Pid);
            var cpu = 100.0 * (end.CpuTime - _start[i].CpuTime).TotalSeconds / elapsed.TotalSeconds;
            usage.Add(new ProcessUsage(_processes[i].Name, cpu, Math.Max(_peak[i], end.ResidentBytes), end.ResidentBytes));
        }

        return (usage, machine);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _sampling;
        }

        _stop.Dispose();
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SampleInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                for (var i = 0; i < _processes.Count; i++)
                {
                    _peak[i] = Math.Max(_peak[i], ProcessSnapshot.Read(_processes[i].Pid).ResidentBytes);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The window closed.
        }
    }
}

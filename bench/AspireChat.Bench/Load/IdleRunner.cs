using System.Diagnostics;
using AspireChat.Bench.Processes;
using AspireChat.Bench.Stats;

namespace AspireChat.Bench.Load;

/// <summary>What holding idle connections cost each server process.</summary>
/// <param name="Name">The process, as the report names it.</param>
/// <param name="ResidentBytesBefore">Its resident set before the connections opened.</param>
/// <param name="ResidentBytesAfter">Its resident set with every connection open and settled.</param>
/// <param name="BytesPerConnection">Growth of the resident set from before the connections opened to after they settled, per connection held.</param>
public sealed record IdleProcessMemory(string Name, long ResidentBytesBefore, long ResidentBytesAfter, double BytesPerConnection);

/// <summary>The result of an idle run: connections asked for and held, and each server's memory per connection.</summary>
public sealed record IdleResult(int Requested, int Held, TimeSpan ConnectTime, IReadOnlyList<IdleProcessMemory> Processes, IReadOnlyDictionary<string, int> Errors);

/// <summary>Opens N WebSockets that send nothing, holds them while the servers settle, and reads the servers' memory.</summary>
internal static class IdleRunner
{
    public static async Task<IdleResult> RunAsync(
        IReadOnlyList<IVirtualUser> users,
        IReadOnlyList<(string Name, int Pid)> monitored,
        TimeSpan settle,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(monitored);
        var before = monitored.Select(p => ProcessSnapshot.Read(p.Pid).ResidentBytes).ToArray();

        var connecting = Stopwatch.StartNew();
        await LoadRunner.ConnectAllAsync(users, 64, cancellationToken);
        var connectTime = connecting.Elapsed;

        using var hold = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var holding = users.Where(u => u.IsConnected).Select(u => u.HoldAsync(hold.Token)).ToArray();
        // Long enough for the servers' allocations to settle and at least one keep-alive round on a short interval.
        await Task.Delay(settle, cancellationToken);

        var held = users.Count(u => u.IsConnected);
        var after = monitored.Select(p => ProcessSnapshot.Read(p.Pid).ResidentBytes).ToArray();
        await hold.CancelAsync();
        await Task.WhenAll(holding);

        var memory = monitored.Select((p, i) => new IdleProcessMemory(
            p.Name, before[i], after[i], held == 0 ? double.NaN : (after[i] - before[i]) / (double)held)).ToArray();
        var errors = LatencyRecorder.Merge(users.Select(u => u.Recorder)).Errors;
        return new IdleResult(users.Count, held, connectTime, memory, errors);
    }
}

using System.Diagnostics;
using AspireChat.Bench.Processes;
using AspireChat.Bench.Stats;

namespace AspireChat.Bench.Load;

/// <summary>Drives a set of virtual users through a <see cref="LoadPlan"/> and measures the servers while they run.</summary>
internal static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(
        IReadOnlyList<IVirtualUser> users,
        LoadPlan plan,
        IReadOnlyList<(string Name, int Pid)> monitored,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(plan);
        await ConnectAllAsync(users, plan.ConnectParallelism, cancellationToken);
        var connected = users.Where(u => u.IsConnected).ToArray();

        foreach (var user in connected)
        {
            user.Recorder.Recording = false;
        }

        await Task.WhenAll(connected.Select(user => TurnsAsync(user, plan.WarmUpTurns, null, TimeSpan.Zero, plan.TurnTimeout, cancellationToken)));
        foreach (var user in connected)
        {
            user.Recorder.Recording = true;
        }

        await using var monitor = ResourceMonitor.Start(monitored);
        var started = Stopwatch.GetTimestamp();
        var deadline = plan.Duration is { } duration ? started + (long)(duration.TotalSeconds * Stopwatch.Frequency) : (long?)null;
        await Task.WhenAll(connected.Select((user, i) =>
        {
            var offset = plan.Users > 1 ? plan.RampUp * i / plan.Users : TimeSpan.Zero;
            return TurnsAsync(user, deadline is null ? plan.TurnsPerUser : int.MaxValue, deadline, offset, plan.TurnTimeout, cancellationToken);
        }));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var (processes, machine) = await monitor.StopAsync();

        var recorded = LatencyRecorder.Merge(users.Select(u => u.Recorder));
        return new LoadResult(
            users.Count,
            users.Count(u => u.IsConnected),
            recorded.Replies,
            recorded.Chunks,
            elapsed,
            Distribution.Of(recorded.TimeToFirstChunk),
            Distribution.Of(recorded.InterChunkGap),
            Distribution.Of(recorded.WholeReply),
            recorded.Errors,
            processes,
            machine)
        {
            ErrorSamples = recorded.ErrorSamples,
        };
    }

    /// <summary>Opens every user's connection, a bounded number at a time; failures are recorded, not thrown.</summary>
    public static async Task ConnectAllAsync(IReadOnlyList<IVirtualUser> users, int parallelism, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(users);
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (user, token) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await user.ConnectAsync(timeout.Token);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !token.IsCancellationRequested)
            {
                // Recorded by the user as connect_failed; a run reports how many connections it held.
            }
        });
    }

    private static async Task TurnsAsync(IVirtualUser user, int turns, long? deadline, TimeSpan offset, TimeSpan turnTimeout, CancellationToken cancellationToken)
    {
        if (offset > TimeSpan.Zero)
        {
            await Task.Delay(offset, cancellationToken);
        }

        for (var turn = 0; turn < turns && (deadline is null || Stopwatch.GetTimestamp() < deadline); turn++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(turnTimeout);
            if (!await user.TurnAsync(timeout.Token) && !user.IsConnected)
            {
                // The connection is gone: this user can do no more.
                return;
            }
        }
    }
}

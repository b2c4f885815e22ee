using System.Diagnostics;
using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;
using AspireChat.Bench.Report;

namespace AspireChat.Bench.Verbs;

/// <summary>
/// <c>sweep</c>: every scenario of issue 7 against every target, then docs/benchmarks.md and its charts.
/// One mock process serves the whole sweep; each target's services are started fresh for each scenario.
/// </summary>
internal static class SweepVerb
{
    public static async Task<int> RunAsync(Arguments arguments, CancellationToken cancellationToken)
    {
        var quick = arguments.Flag("quick");
        var output = Path.GetFullPath(arguments.Text("out", Path.Combine(BuildOutput.RepositoryRoot, "docs", "benchmarks.md")));
        int[] levels = quick ? [1, 10, 100] : [1, 10, 100, 1_000];
        var targets = arguments.Text("targets", "") is { Length: > 0 } names
            ? names.Split(',').Select(Target.Parse).Distinct().ToArray()
            : [.. Target.All];
        if (!targets.Contains(Target.Direct))
        {
            // Every figure needs its baseline.
            targets = [Target.Direct, .. targets];
        }

        var results = new SweepResults
        {
            Machine = MachineInfo.Read(),
            Started = DateTimeOffset.UtcNow,
            LatencyPacing = Pacing.Latency,
            CeilingPacing = Pacing.Ceiling,
            CeilingUsers = 50,
            CeilingDuration = quick ? TimeSpan.FromSeconds(4) : TimeSpan.FromSeconds(6),
            CeilingAttempts = quick ? 1 : 3,
            IdleConnections = arguments.Int("connections", quick ? 1_000 : 10_000),
            Targets = targets,
        };
        var elapsed = Stopwatch.StartNew();
        await using var mock = await MockProcess.StartAsync(cancellationToken);

        await MeasureLatencyAsync(results, mock, levels, quick, cancellationToken);
        foreach (var target in targets)
        {
            await MeasureAsync(results, target, "relay ceiling", async () =>
            {
                await using var system = await SystemUnderTest.StartAsync(target, mock, results.CeilingPacing.Model, null, cancellationToken);
                // A ceiling is a best case: of a few runs, the one that got the most from cores that other work shares.
                LoadResult? best = null;
                for (var attempt = 0; attempt < results.CeilingAttempts; attempt++)
                {
                    results.LoadAverages.Add(MachineInfo.LoadAverage());
                    var plan = new LoadPlan(results.CeilingUsers, 0, results.CeilingDuration, TimeSpan.FromMilliseconds(100));
                    var result = Measured(await Scenario.LoadAsync(system, results.CeilingPacing, plan, verifyText: false, cancellationToken));
                    Console.WriteLine($"ceiling  {target.Name,-22} {results.CeilingUsers,5} users: {result.Summary()}");
                    best = best is null || result.ChunksPerSecond > best.ChunksPerSecond ? result : best;
                }

                results.Ceiling.Add(new CeilingRun(target, best!));
            });

            await MeasureAsync(results, target, "idle connections", async () =>
            {
                // A fresh mock for the baseline: the sweep's own has a heap grown by the ceiling runs, whose free
                // space would hide what new connections cost.
                await using var idleMock = target.Route == Route.DirectToMock ? await MockProcess.StartAsync(cancellationToken) : null;
                await using var system = await SystemUnderTest.StartAsync(target, idleMock ?? mock, results.CeilingPacing.Model, null, cancellationToken);
                results.LoadAverages.Add(MachineInfo.LoadAverage());
                var connections = IdleConnectionsFor(target, results.IdleConnections, results.Machine.OpenFilesLimit);
                var result = await Scenario.IdleAsync(system, connections, quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(5), cancellationToken);
                if (result.Held == 0)
                {
                    throw new InvalidOperationException($"no connection could be opened ({result.Errors.Keys.FirstOrDefault() ?? "no error recorded"})");
                }

                results.Idle.Add(new IdleRun(target, result));
                Console.WriteLine($"idle     {target.Name,-22} held {result.Held}/{result.Requested}: "
                    + string.Join(", ", result.Processes.Select(p => $"{p.Name} {p.BytesPerConnection / 1024:F1} KiB/connection")));
            });
        }

        results.Elapsed = elapsed.Elapsed;
        var saved = Path.Combine(BuildOutput.RepositoryRoot, "artifacts", "bench-results.json");
        Directory.CreateDirectory(Path.GetDirectoryName(saved)!);
        results.Save(saved);
        BenchmarkReport.Write(results, output);
        Console.WriteLine($"Wrote {output} in {results.Elapsed.TotalMinutes:F1} min.");
        return results.NotMeasured.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// Every target's services are started together and the levels interleave the targets (direct, ChatApi, Redis,
    /// proxy at 1 stream, then all at 10, ...), so a baseline and its target are measured minutes apart at most,
    /// under the same background load.
    /// </summary>
    private static async Task MeasureLatencyAsync(SweepResults results, MockProcess mock, int[] levels, bool quick, CancellationToken cancellationToken)
    {
        var systems = new List<SystemUnderTest>();
        // A target that failed once (a service without /ws, ...) is not tried again at higher levels.
        var failed = new HashSet<Target>();
        try
        {
            foreach (var target in results.Targets)
            {
                await MeasureAsync(results, target, "latency", async () =>
                {
                    var system = await SystemUnderTest.StartAsync(target, mock, results.LatencyPacing.Model, null, cancellationToken);
                    systems.Add(system);
                    // A fresh process runs tier-0 (unoptimized) code until the JIT has seen the hot path often enough;
                    // a few thousand unmeasured chunks first, so the 1-stream figures measure the relay, not the JIT.
                    await Scenario.LoadAsync(system, results.LatencyPacing, new LoadPlan(100, 2, null, TimeSpan.FromMilliseconds(500)), verifyText: false, cancellationToken);
                });
            }

            foreach (var users in levels)
            {
                foreach (var system in systems.Where(s => !failed.Contains(s.Target)))
                {
                    await MeasureAsync(results, system.Target, "latency", async () =>
                    {
                        results.LoadAverages.Add(MachineInfo.LoadAverage());
                        var plan = new LoadPlan(users, TurnsFor(users, quick), null, users > 1 ? TimeSpan.FromSeconds(1) : TimeSpan.Zero);
                        var result = Measured(await Scenario.LoadAsync(system, results.LatencyPacing, plan, verifyText: false, cancellationToken));
                        results.Latency.Add(new LatencyRun(system.Target, users, result));
                        Console.WriteLine($"latency  {system.Target.Name,-22} {users,5} users: {result.Summary()}");
                    }, onFailure: () => failed.Add(system.Target));
                }
            }
        }
        finally
        {
            foreach (var system in systems)
            {
                await system.DisposeAsync();
            }
        }
    }

    /// <summary>A run that held no connection measured nothing: it is reported as not measured, with the first error.</summary>
    private static LoadResult Measured(LoadResult result) =>
        result.ConnectionsHeld > 0
            ? result
            : throw new InvalidOperationException($"no connection could be opened ({result.Errors.Keys.FirstOrDefault() ?? "no error recorded"})");

    /// <summary>Enough replies per level for a p99 to mean something without making the sweep long.</summary>
    private static int TurnsFor(int users, bool quick) => (quick, users) switch
    {
        (true, _) => 2,
        (_, 1) => 20,
        (_, <= 10) => 6,
        _ => 3,
    };

    /// <summary>
    /// Web holds two sockets per proxied connection (the browser's and ChatApi's), so under the open-files limit it
    /// can hold only half as many connections as ChatApi.
    /// </summary>
    private static int IdleConnectionsFor(Target target, int requested, ulong openFilesLimit) =>
        target.Route == Route.WebProxy ? (int)Math.Min((ulong)requested, (openFilesLimit / 2) - 1_000) : requested;

    private static async Task MeasureAsync(SweepResults results, Target target, string scenario, Func<Task> measure, Action? onFailure = null)
    {
        try
        {
            await measure();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            onFailure?.Invoke();
            var reason = exception.GetBaseException().Message.Split(Environment.NewLine)[0];
            results.NotMeasured.Add($"{scenario}, {target.Name}: {reason}");
            Console.WriteLine($"NOT MEASURED {scenario}, {target.Name}: {reason}");
        }
    }
}

using System.Diagnostics;
using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;
using AspireChat.Bench.Report;

namespace AspireChat.Bench.Verbs;

/// <summary>
/// <c>pinned</c>: issue 18's method. ChatApi alone on one core, the mock and the load generator (this process) on
/// the other, so ChatApi's CPU per chunk is its own and the harness's cost and floor are measured beside it. Every
/// build given (this checkout's, then commits built by <c>bench/run.sh --baseline</c>) runs the same scenarios in
/// the same run; the figures go into docs/benchmarks.md between its pinned markers.
/// </summary>
internal static class PinnedVerb
{
    private const string Paced = "paced";
    private const string Ceiling = "ceiling";

    /// <summary>How many warm-up rounds in a row must compile at most <see cref="PinnedResults.QuietCompiles"/> methods.</summary>
    private const int QuietRoundsInARow = 2;

    public static async Task<int> RunAsync(Arguments arguments, CancellationToken cancellationToken)
    {
        var quick = arguments.Flag("quick");
        var output = Path.GetFullPath(arguments.Text("out", Path.Combine(BuildOutput.RepositoryRoot, "docs", "benchmarks.md")));
        var cores = new CorePlan(
            CpuAffinity.ParseList(arguments.Text("server-core", "0")),
            CpuAffinity.ParseList(arguments.Text("harness-core", "1")),
            arguments.Text("redis-core", "harness") == "server");
        var levels = arguments.Text("levels", quick ? "250,1000" : "250,500,1000").Split(',').Select(int.Parse).ToArray();
        var builds = Builds(arguments.Text("baseline", ""), Target.ParseModelHttpVersion(arguments.Text("model-http", "2.0")));
        var stores = arguments.Text("stores", "memory,redis").Split(',').Select(Stores.Parse).ToArray();
        // The quick cap still lets the Redis route go quiet: it compiled thousands of methods a round for its first
        // nine rounds of 250 streams (about 90 s), so a 60 s cap measured its tiering.
        var maxWarmUp = arguments.Duration("max-warm-up", quick ? TimeSpan.FromSeconds(150) : TimeSpan.FromSeconds(300));
        var results = new PinnedResults
        {
            Machine = MachineInfo.Read(),
            Started = DateTimeOffset.UtcNow,
            Cores = cores,
            Paced = Pacing.Latency,
            Ceiling = Pacing.Ceiling,
            CeilingUsers = 50,
            CeilingDuration = TimeSpan.FromSeconds(quick ? 4 : 6),
            CeilingWindows = quick ? 3 : 5,
            TurnsPerUser = arguments.Int("turns", 5),
            Builds = [.. builds.Select(b => b.Build)],
            Levels = levels,
            ErrorsLevel = arguments.Int("errors-at", 2_000),
        };
        var idleConnections = arguments.Int("connections", quick ? 2_000 : 10_000);

        // This process first, so the mock it starts inherits the harness's core.
        CpuAffinity.Pin(Environment.ProcessId, cores.HarnessCores);
        Console.WriteLine($"Pinned: {cores}. Load average {MachineInfo.LoadAverage():F1}.");
        var elapsed = Stopwatch.StartNew();
        await using var mock = await MockProcess.StartAsync(cancellationToken);

        await MeasureAsync(results, "floor", mock, () => FloorAsync(results, mock, cancellationToken));
        // Builds alternate within a store, so each pair is measured minutes apart under the same background load.
        foreach (var store in stores)
        {
            // The baselines predate cluster support (issue 17): on a cluster they would measure their own errors.
            foreach (var build in store == Store.RedisCluster ? builds.Take(1) : builds)
            {
                var target = build with
                {
                    Name = $"ChatApi {build.Build}, {Stores.Describe(store)}",
                    Store = store,
                };
                await MeasureAsync(results, target.Name, mock, () => ChatApiAsync(results, target, mock, maxWarmUp, cancellationToken));
            }
        }

        foreach (var build in builds)
        {
            var target = build with { Name = $"ChatApi {build.Build}, in-memory" };
            await MeasureAsync(results, $"idle, {target.Name}", mock, () => IdleAsync(results, target, mock, idleConnections, cancellationToken));
        }

        results.Elapsed = elapsed.Elapsed;
        var saved = Path.Combine(BuildOutput.RepositoryRoot, "artifacts", "bench-pinned.json");
        Directory.CreateDirectory(Path.GetDirectoryName(saved)!);
        results.Save(saved);
        PinnedReport.Write(results, output);
        Console.WriteLine($"Wrote the pinned section of {output} in {results.Elapsed.TotalMinutes:F1} min (measurements: {saved}).");
        return results.NotMeasured.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// This checkout's ChatApi (calling the mock over <paramref name="modelHttpVersion"/>), then each
    /// <c>name=path/to/AspireChat.ChatApi.dll</c> of <c>--baseline</c>, over HTTP/1.1: the only version they speak.
    /// </summary>
    private static List<Target> Builds(string baselines, string modelHttpVersion)
    {
        List<Target> builds = [Target.ChatApiInMemory with { Build = "current", ModelHttpVersion = modelHttpVersion }];
        foreach (var baseline in baselines.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, path) = baseline.Split('=', 2) is [var n, var p] ? (n, p) : throw new ArgumentException($"--baseline takes name=path/to/AspireChat.ChatApi.dll, not '{baseline}'.");
            builds.Add(Target.ChatApiInMemory with { Build = name, ModelHttpVersion = "1.1", ChatApiAssembly = File.Exists(path) ? Path.GetFullPath(path) : throw new FileNotFoundException($"No ChatApi build at {path}.") });
        }

        return builds;
    }

    /// <summary>The harness alone: the same users reading the mock's streams directly, at every load.</summary>
    private static async Task FloorAsync(PinnedResults results, MockProcess mock, CancellationToken cancellationToken)
    {
        await using var system = await SystemUnderTest.StartAsync(Target.Direct, mock, results.Paced.Model, results.Cores, cancellationToken);
        // The mock and this process run without tiered compilation (fully optimized from the first call): one
        // unmeasured round only fills connection pools and the runtime's caches.
        await Scenario.LoadAsync(system, results.Paced, new LoadPlan(results.Levels.Max(), 1, null, TimeSpan.FromSeconds(1)), verifyText: false, cancellationToken);
        foreach (var users in results.Levels.Append(results.ErrorsLevel))
        {
            var result = await Scenario.LoadAsync(system, results.Paced, Plan(results, users), verifyText: false, cancellationToken);
            Record(results, new PinnedRun(Target.Direct, Paced, users, result, 0, MachineInfo.LoadAverage()));
        }
    }

    private static async Task ChatApiAsync(PinnedResults results, Target target, MockProcess mock, TimeSpan maxWarmUp, CancellationToken cancellationToken)
    {
        await using (var system = await SystemUnderTest.StartAsync(target, mock, results.Paced.Model, results.Cores, cancellationToken))
        {
            var jit = JitActivity.ForProcess(system.ChatApiId);
            var warmUp = new LoadPlan(results.Levels[0], 2, null, TimeSpan.FromSeconds(1));
            results.WarmUps.Add(await WarmUpAsync(system, jit, results.Paced, warmUp, results.QuietCompiles, maxWarmUp, cancellationToken));
            var previous = results.Levels[0];
            foreach (var users in results.Levels.Append(results.ErrorsLevel))
            {
                if (users > previous)
                {
                    // More connections and replies at once than the warm-up saw: one unmeasured round at this load.
                    await Scenario.LoadAsync(system, results.Paced, new LoadPlan(users, 1, null, TimeSpan.FromSeconds(1)), verifyText: false, cancellationToken);
                    previous = users;
                }

                var before = jit.Count();
                var result = await Scenario.LoadAsync(system, results.Paced, Plan(results, users), verifyText: false, cancellationToken);
                Record(results, new PinnedRun(target, Paced, users, result, jit.Count() - before, MachineInfo.LoadAverage()));
            }
        }

        // The ceiling's pacing is ChatApi's model name: a process of its own, warmed the same way, then the median of
        // several windows. One window spread by ±20% between processes of the same build, so one (or the best of a
        // few) could not say which build was ahead.
        await using (var system = await SystemUnderTest.StartAsync(target, mock, results.Ceiling.Model, results.Cores, cancellationToken))
        {
            var jit = JitActivity.ForProcess(system.ChatApiId);
            var plan = new LoadPlan(results.CeilingUsers, 0, results.CeilingDuration, TimeSpan.FromMilliseconds(100));
            results.WarmUps.Add(await WarmUpAsync(system, jit, results.Ceiling, plan, results.QuietCompiles, maxWarmUp, cancellationToken));
            var windows = new List<PinnedRun>();
            for (var window = 0; window < results.CeilingWindows; window++)
            {
                var before = jit.Count();
                var result = await Scenario.LoadAsync(system, results.Ceiling, plan, verifyText: false, cancellationToken);
                windows.Add(new PinnedRun(target, Ceiling, results.CeilingUsers, result, jit.Count() - before, MachineInfo.LoadAverage()));
                Console.WriteLine($"  ceiling window {window + 1}: {windows[^1].ChunksPerChatApiCpuSecond:N0} chunks per ChatApi CPU-second");
            }

            results.CeilingWindowRuns.AddRange(windows);
            Record(results, PinnedRun.Median(windows));
        }
    }

    /// <summary>
    /// Rounds of <paramref name="round"/> until two in a row compile (almost) nothing. On one core the runtime waits ten
    /// times longer before tiering up (its single-processor delay), and with dynamic PGO a hot method is compiled twice
    /// after tier 0 (instrumented, then optimized): a fresh ChatApi was still compiling hundreds of methods a round after
    /// minutes of load. The perf map says when it has stopped; one quiet round does not, since promotions come in bursts
    /// (a Redis run whose warm-up ended on a round of 7 methods compiled 890 to 3,881 in each window after it).
    /// </summary>
    private static async Task<WarmUp> WarmUpAsync(SystemUnderTest system, JitActivity jit, Pacing pacing, LoadPlan round, int quietCompiles, TimeSpan maxWarmUp, CancellationToken cancellationToken)
    {
        var rounds = new List<WarmUpRound>();
        var started = Stopwatch.StartNew();
        while (true)
        {
            var before = jit.Count();
            var elapsed = Stopwatch.StartNew();
            var result = await Scenario.LoadAsync(system, pacing, round, verifyText: false, cancellationToken);
            var compiled = jit.Count() - before;
            rounds.Add(new WarmUpRound(rounds.Count + 1, elapsed.Elapsed.TotalSeconds, compiled, PinnedRun.MicrosecondsPerChunk(result, "ChatApi")));
            Console.WriteLine($"  warm-up {system.Target.Name} round {rounds.Count}: compiled {compiled}, {rounds[^1].ChatApiMicrosecondsPerChunk:F1} µs per chunk");
            var quiet = rounds.Count >= QuietRoundsInARow && rounds.TakeLast(QuietRoundsInARow).All(r => r.Compiled <= quietCompiles);
            if (quiet || started.Elapsed >= maxWarmUp)
            {
                return new WarmUp(system.Target, pacing == Pacing.Ceiling ? "ceiling" : "paced", round.Users, rounds, quiet);
            }
        }
    }

    /// <summary>
    /// Memory per idle WebSocket by both methods. <c>settled</c>: a warmed process, the resident set's growth from
    /// before the connections to after they settled 5 s (the sweep's). <c>cold</c>: a fresh process that has served
    /// nothing, from before connecting to 15 s of holding (how the issue measured it with a Node client).
    /// </summary>
    private static async Task IdleAsync(PinnedResults results, Target target, MockProcess mock, int connections, CancellationToken cancellationToken)
    {
        await using (var system = await SystemUnderTest.StartAsync(target, mock, results.Ceiling.Model, results.Cores, cancellationToken))
        {
            var settled = await Scenario.IdleAsync(system, connections, TimeSpan.FromSeconds(5), cancellationToken);
            var chatApi = settled.Processes.Single(p => p.Name == "ChatApi");
            results.Idle.Add(new IdleMemoryRun(target, "settled", connections, settled.Held, TimeSpan.FromSeconds(5), chatApi.ResidentBytesBefore, chatApi.ResidentBytesAfter, MachineInfo.LoadAverage()));
        }

        await using (var system = await SystemUnderTest.StartAsync(target, mock, results.Ceiling.Model, results.Cores, cancellationToken))
        {
            var cold = await Scenario.IdleAsync(system, connections, TimeSpan.FromSeconds(15), cancellationToken, warmUp: false);
            var chatApi = cold.Processes.Single(p => p.Name == "ChatApi");
            results.Idle.Add(new IdleMemoryRun(target, "cold", connections, cold.Held, TimeSpan.FromSeconds(15), chatApi.ResidentBytesBefore, chatApi.ResidentBytesAfter, MachineInfo.LoadAverage()));
        }

        foreach (var run in results.Idle.TakeLast(2))
        {
            Console.WriteLine($"idle {target.Name} ({run.Method}): held {run.Held}/{run.Requested}, {run.BytesPerConnection / 1024:F1} KiB ({run.BytesPerConnection / 1000:F1} KB) per connection");
        }
    }

    private static LoadPlan Plan(PinnedResults results, int users) =>
        // 2,000 streams is counted for its errors only: two messages a user.
        new(users, users == results.ErrorsLevel ? 2 : results.TurnsPerUser, null, TimeSpan.FromSeconds(1));

    private static void Record(PinnedResults results, PinnedRun run)
    {
        results.Runs.Add(run);
        Console.WriteLine($"{run.Scenario,-8} {run.Target.Name,-28} {run.Users,5} users: ChatApi {run.ChatApiMicrosecondsPerChunk:F1} µs/chunk, harness {run.HarnessCpuPercent(results.Cores):F0}% of its core "
            + $"({run.HarnessMicrosecondsPerChunk(results.Cores):F1} µs/chunk), compiled {run.Compiled}, load {run.LoadAverage:F1}; {run.Result.Summary()}");
    }

    /// <summary>
    /// Runs one measurement; a failure is recorded and the run goes on. A mock that has died fails every measurement
    /// after it, with its exit code and last lines, rather than with whatever reading its CPU time threw.
    /// </summary>
    private static async Task MeasureAsync(PinnedResults results, string what, MockProcess mock, Func<Task> measure)
    {
        try
        {
            if (mock.Exit is { } exit)
            {
                throw new InvalidOperationException(exit);
            }

            await measure();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            var message = mock.Exit ?? exception.GetBaseException().Message;
            var reason = message.Split(Environment.NewLine)[0];
            results.NotMeasured.Add($"{what}: {reason}");
            Console.WriteLine($"NOT MEASURED {what}: {message}");
        }
    }
}

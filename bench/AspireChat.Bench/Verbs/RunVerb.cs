using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;
using AspireChat.Bench.Report;

namespace AspireChat.Bench.Verbs;

/// <summary><c>run</c>: load runs against one target, printed; for trying a change without the whole sweep.</summary>
internal static class RunVerb
{
    public static async Task<int> RunAsync(Arguments arguments, CancellationToken cancellationToken)
    {
        var target = arguments.Target("chatapi");
        var pacing = new Pacing(
            arguments.Duration("ttft", Pacing.Latency.TimeToFirstToken),
            arguments.Duration("interval", Pacing.Latency.TokenInterval),
            arguments.Int("tokens", Pacing.Latency.Tokens));
        var plan = new LoadPlan(
            arguments.Int("users", 10),
            arguments.Int("turns", 3),
            arguments.OptionalDuration("duration"),
            arguments.Duration("ramp-up", TimeSpan.FromSeconds(1)));
        // Several runs in one process, as the sweep's ceiling does: the first runs partly on unoptimized JIT code.
        var repeat = arguments.Int("repeat", 1);

        // --pin: ChatApi alone on core 0, this process and the mock on core 1.
        var cores = CorePlan.PinHarnessIf(arguments.Flag("pin"));

        await using var mock = await MockProcess.StartAsync(cancellationToken);
        await using var system = await SystemUnderTest.StartAsync(target, mock, pacing.Model, cores, cancellationToken);
        var jit = system.ChatApiId != 0 && cores is not null ? JitActivity.ForProcess(system.ChatApiId) : null;
        if (system.ChatApiId != 0)
        {
            // bench/profile.sh reads this line to attach perf and dotnet-counters.
            Console.WriteLine($"ChatApi is process {system.ChatApiId}");
        }

        var errors = 0;
        for (var run = 1; run <= repeat; run++)
        {
            var jitBefore = jit?.Count() ?? 0;
            var result = await Scenario.LoadAsync(system, pacing, plan, arguments.Flag("verify"), cancellationToken);
            errors += result.ErrorCount;
            Console.WriteLine($"{target.Name}, {pacing}, run {run}/{repeat}: {result.Summary()}");
            if (jit is not null)
            {
                var compiled = jit.NamesSince(jitBefore, int.MaxValue);
                var tiers = compiled.GroupBy(JitActivity.TierOf).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}");
                Console.WriteLine($"  ChatApi compiled {compiled.Count} methods during the run ({string.Join(", ", tiers)}); CPU per chunk {result.Process("ChatApi")?.CpuPercent / 100 * result.Elapsed.TotalSeconds / result.Chunks * 1e6:F1} µs");
            }

            Console.WriteLine($"  chunks per server CPU-second: {BenchmarkReport.ChunksPerServerCpuSecond(result, target) ?? 0:N0}");
            foreach (var process in result.Processes)
            {
                Console.WriteLine($"  {process.Name}: CPU {process.CpuPercent:F0}%, peak RSS {process.PeakResidentBytes / 1048576.0:F1} MiB");
            }
        }

        return errors == 0 ? 0 : 1;
    }
}

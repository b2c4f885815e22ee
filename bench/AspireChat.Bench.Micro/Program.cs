using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AspireChat.Bench.Micro;

/// <summary>
/// Micro-benchmarks of the per-token hot path:
/// <c>dotnet run -c Release --project bench/AspireChat.Bench.Micro -- --filter '*'</c> (BenchmarkDotNet's own options);
/// <c>-- turn-cost [turns] [budget]</c>: a turn's Redis time against the conversation's length (<see cref="TurnCost"/>).
/// </summary>
internal static class Program
{
    public static async Task Main(string[] args)
    {
        // Issue 17's turn cost against the conversation's length: Redis' own time, measured by its counters (TurnCost).
        if (args is ["turn-cost", ..])
        {
            var numbers = args.Skip(1).Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            await TurnCost.RunAsync(numbers is [var turns, ..] ? turns : 200, numbers is [_, var budget] ? budget : null);
            return;
        }

        // In-process and short: the machine has two cores shared with the services under test, and the figures
        // are for comparing the hot path's pieces, not for publishing nanoseconds.
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}

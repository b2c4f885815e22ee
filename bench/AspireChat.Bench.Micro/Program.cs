using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace AspireChat.Bench.Micro;

/// <summary>
/// Micro-benchmarks of the per-token hot path:
/// <c>dotnet run -c Release --project bench/AspireChat.Bench.Micro -- --filter '*'</c> (BenchmarkDotNet's own options).
/// </summary>
internal static class Program
{
    public static void Main(string[] args)
    {
        // In-process and short: the machine has two cores shared with the services under test, and the figures
        // are for comparing the hot path's pieces, not for publishing nanoseconds.
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}

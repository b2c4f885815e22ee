using AspireChat.Bench.Verbs;

namespace AspireChat.Bench;

/// <summary>
/// The load generator and benchmark driver (docs/benchmarks.md):
/// <c>dotnet run -c Release --project bench/AspireChat.Bench -- sweep|smoke|run|idle|pinned|report|gc [options]</c>.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var arguments = Arguments.Parse(args);
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        OpenFiles.RaiseLimit();
        return arguments.Verb switch
        {
            "smoke" => await SmokeVerb.RunAsync(arguments, cancellation.Token),
            "run" => await RunVerb.RunAsync(arguments, cancellation.Token),
            "idle" => await IdleVerb.RunAsync(arguments, cancellation.Token),
            "sweep" => await SweepVerb.RunAsync(arguments, cancellation.Token),
            "pinned" => await PinnedVerb.RunAsync(arguments, cancellation.Token),
            "report" => ReportVerb.Run(arguments),
            "gc" => await GcVerb.RunAsync(arguments, cancellation.Token),
            _ => Help(),
        };
    }

    private static int Help()
    {
        Console.WriteLine("""
            AspireChat benchmarks (docs/benchmarks.md)

              pinned [--baseline NAME=path/to/AspireChat.ChatApi.dll] [--levels 250,500,1000] [--errors-at 2000]
                     [--stores memory,redis,cluster] [--redis-core harness|server] [--quick] [--out docs/benchmarks.md]
                     [--model-http 2.0|1.1]                   how this build calls the mock (baselines: 1.1)
                                                              ChatApi on core 0, the harness on core 1 (issue 18's method);
                                                              bench/run.sh builds the baseline and runs this
              sweep  [--out docs/benchmarks.md] [--quick]   every scenario on shared cores; writes the report and its charts
              report [--pinned] [--from artifacts/bench-results.json|bench-pinned.json]
                                                              the report again from the last sweep's (or pinned run's) measurements
              smoke                                           a few users for a few seconds; non-zero exit on any error
              run    --target direct|chatapi|redis|proxy --users 10 [--turns 3 | --duration 10s] [--repeat 1]
                     [--ttft 200ms --interval 20ms --tokens 50] [--pin true] [--env K=V;K=V]
                     [--assembly path/to/AspireChat.ChatApi.dll]   another build of ChatApi than this checkout's
                     [--model-http 2.0|1.1]                   how ChatApi calls the mock (default 2.0; 1.1 with --assembly)
              idle   --target chatapi|redis|proxy --connections 10000 [--settle 5s] [--cold true] [--pin true]
              gc     --pid N [--duration 15s] [--out gc.nettrace] | --trace gc.nettrace
                                                              a running process's collections over a window: pauses by
                                                              generation, the long ones, the heap (bench/profile.sh)
            """);
        return 2;
    }
}

using AspireChat.Bench.Processes;
using AspireChat.Bench.Report;

namespace AspireChat.Bench.Verbs;

/// <summary>
/// <c>report</c>: writes docs/benchmarks.md again from saved measurements: the last sweep's
/// (artifacts/bench-results.json), or with <c>--pinned</c> the pinned section from the last pinned run's
/// (artifacts/bench-pinned.json).
/// </summary>
internal static class ReportVerb
{
    public static int Run(Arguments arguments)
    {
        var pinned = arguments.Flag("pinned");
        var from = arguments.Text("from", Path.Combine(BuildOutput.RepositoryRoot, "artifacts", pinned ? "bench-pinned.json" : "bench-results.json"));
        var output = Path.GetFullPath(arguments.Text("out", Path.Combine(BuildOutput.RepositoryRoot, "docs", "benchmarks.md")));
        if (pinned)
        {
            PinnedReport.Write(PinnedResults.Load(from), output);
        }
        else
        {
            BenchmarkReport.Write(SweepResults.Load(from), output);
        }

        Console.WriteLine($"Wrote {output} from {from}.");
        return 0;
    }
}

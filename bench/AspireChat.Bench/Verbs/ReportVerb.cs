using AspireChat.Bench.Processes;
using AspireChat.Bench.Report;

namespace AspireChat.Bench.Verbs;

/// <summary><c>report</c>: writes docs/benchmarks.md again from the last sweep's saved measurements (artifacts/bench-results.json).</summary>
internal static class ReportVerb
{
    public static int Run(Arguments arguments)
    {
        var from = arguments.Text("from", Path.Combine(BuildOutput.RepositoryRoot, "artifacts", "bench-results.json"));
        var output = Path.GetFullPath(arguments.Text("out", Path.Combine(BuildOutput.RepositoryRoot, "docs", "benchmarks.md")));
        BenchmarkReport.Write(SweepResults.Load(from), output);
        Console.WriteLine($"Wrote {output} from {from}.");
        return 0;
    }
}

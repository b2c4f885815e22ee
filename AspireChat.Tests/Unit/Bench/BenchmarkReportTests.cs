using System.Xml.Linq;
using AspireChat.Bench;
using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;
using AspireChat.Bench.Report;
using AspireChat.Bench.Stats;

namespace AspireChat.Tests.Unit.Bench;

public sealed class BenchmarkReportTests
{
    [Fact]
    public void TheReportSetsEachTargetAgainstItsDirectBaselineAndGivesAVerdict()
    {
        var results = Results();
        results.Latency.Add(new LatencyRun(Target.Direct, 100, Load(ttft: new(100, 200, 201, 203, 210), gap: new(100, 20, 20.5, 21, 22), chunksPerSecond: 2_500)));
        results.Latency.Add(new LatencyRun(Target.ChatApiInMemory, 100, Load(ttft: new(100, 200.5, 202, 210, 215), gap: new(100, 20, 20.7, 22, 25), chunksPerSecond: 2_500)));
        results.Ceiling.Add(new CeilingRun(Target.ChatApiInMemory, Load(ttft: new(10, 1, 1, 1, 1), gap: new(10, 0, 0, 0, 0), chunksPerSecond: 42_000)));

        var markdown = BenchmarkReport.Markdown(results);

        // Added first chunk: p50 200.5 - 200 = 0.5 ms (met), p99 210 - 203 = 7 ms (missed).
        Assert.Contains("| Added time to first chunk at 100 streams: p50 ≤ 1 ms | 0.50 ms | met |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Added time to first chunk at 100 streams: p99 ≤ 5 ms | 7.00 ms | **missed** |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Relay ceiling ≥ 50,000 chunks/s | 42,000 chunks/s | **missed** |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Added time to first chunk at 1,000 streams: p99 ≤ 20 ms | not measured | — |", markdown, StringComparison.Ordinal);
        Assert.Contains("| 100 | ChatApi, in-memory | 200.5 / 202.0 / 210.0 / 215.0 | 0.50 / 7.00 |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void SavedResultsReadBackIntoTheSameReport()
    {
        var results = Results();
        results.Latency.Add(new LatencyRun(Target.Direct, 10, Load(ttft: new(10, 200, 201, 203, 210), gap: Distribution.Empty, chunksPerSecond: 375)));
        results.Latency.Add(new LatencyRun(Target.ChatApiInMemory, 10, Load(ttft: new(10, 201, 202, 204, 220), gap: new(10, 20, 21, 22, 23), chunksPerSecond: 375)));
        results.Idle.Add(new IdleRun(Target.ChatApiInMemory, new IdleResult(100, 100, TimeSpan.FromSeconds(1),
            [new IdleProcessMemory("ChatApi", 100 << 20, 101 << 20, 10_485.76)], new Dictionary<string, int>())));
        results.NotMeasured.Add("idle, Web proxy: no connection could be opened");
        var path = Path.Combine(Path.GetTempPath(), $"bench-results-{Guid.NewGuid():N}.json");

        try
        {
            results.Save(path);
            var loaded = SweepResults.Load(path);

            Assert.Equal(BenchmarkReport.Markdown(results), BenchmarkReport.Markdown(loaded));
            Assert.Equal(2, loaded.Latency.Count);
            Assert.True(double.IsNaN(loaded.Latency[0].Result.InterChunkGap.P99));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheChartIsWellFormedSvgWithALineAndALegendPerSeries()
    {
        var svg = SvgChart.Render("Title <&>", "x", "y",
            [new ChartSeries("a", [(1, 2), (10, 3), (100, 5)]), new ChartSeries("b", [(1, 1), (10, double.NaN), (1000, 4)])],
            logX: true, referenceY: 5, referenceLabel: "5 ms");

        var document = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(2, document.Descendants(ns + "polyline").Count());
        Assert.Contains(document.Descendants(ns + "text"), t => t.Value == "Title <&>");
        Assert.Contains(document.Descendants(ns + "text"), t => t.Value == "1,000");
    }

    private static SweepResults Results() => new()
    {
        Machine = new MachineInfo("cpu", 2, 8, "kernel", ".NET", 0.5, 20_000),
        Started = DateTimeOffset.UnixEpoch,
        LatencyPacing = Pacing.Latency,
        CeilingPacing = Pacing.Ceiling,
        CeilingUsers = 50,
        CeilingDuration = TimeSpan.FromSeconds(10),
        IdleConnections = 10_000,
        Targets = [Target.Direct, Target.ChatApiInMemory],
    };

    private static LoadResult Load(Distribution ttft, Distribution gap, double chunksPerSecond) =>
        new(100, 100, 100, (long)chunksPerSecond, TimeSpan.FromSeconds(1), ttft, gap, ttft, new Dictionary<string, int>(),
            [new ProcessUsage("ChatApi", 50, 100 << 20, 90 << 20)], 60);
}

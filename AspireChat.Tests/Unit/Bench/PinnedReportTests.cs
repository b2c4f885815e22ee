using AspireChat.Bench;
using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;
using AspireChat.Bench.Report;
using AspireChat.Bench.Stats;

namespace AspireChat.Tests.Unit.Bench;

public sealed class PinnedReportTests
{
    private static readonly Target Current = Target.ChatApiInMemory with { Name = "ChatApi current, in-memory" };
    private static readonly Target Baseline = Target.ChatApiInMemory with { Name = "ChatApi 2b598c5, in-memory", Build = "2b598c5", ChatApiAssembly = "/x/AspireChat.ChatApi.dll" };

    [Fact]
    public void TheHeadlineSetsEachBuildsCpuPerChunkSideBySide()
    {
        var results = Results();
        // 10,000 chunks in 2 s: 85% of a core is 170 µs of CPU per chunk... per 1,000 chunks: 0.85 * 2 / 10,000 s = 170 µs.
        results.Runs.Add(Run(Current, 250, chatApiCpu: 85, chunks: 10_000));
        results.Runs.Add(Run(Baseline, 250, chatApiCpu: 68, chunks: 10_000));

        var markdown = PinnedReport.Markdown(results);

        Assert.Contains("| ChatApi CPU per chunk, in memory, 250 streams (µs) | 170.0 | 136.0 | 1.25× |", markdown, StringComparison.Ordinal);
        Assert.Contains("| ChatApi CPU per chunk, in memory, 1,000 streams (µs) | — | — | — |", markdown, StringComparison.Ordinal);
        Assert.StartsWith(PinnedReport.Begin, markdown, StringComparison.Ordinal);
        Assert.EndsWith(PinnedReport.End + Environment.NewLine, markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void AddedLatencyIsGivenOnlyWhereTheFloorIsClean()
    {
        var results = Results();
        results.Runs.Add(Run(Target.Direct, 250, chatApiCpu: 0, chunks: 10_000, firstChunkP99: 210));
        results.Runs.Add(Run(Target.Direct, 1_000, chatApiCpu: 0, chunks: 40_000, firstChunkP99: 400));
        results.Runs.Add(Run(Current, 250, chatApiCpu: 85, chunks: 10_000, firstChunkP99: 225));
        results.Runs.Add(Run(Current, 1_000, chatApiCpu: 99, chunks: 30_000, firstChunkP99: 1_400));

        var markdown = PinnedReport.Markdown(results);

        Assert.Contains("| added first-chunk p99, in memory, 250 streams (ms) | 15.0 | — | — |", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("added first-chunk p99, in memory, 1,000 streams", markdown, StringComparison.Ordinal);
        Assert.Contains("| first-chunk p99, in memory, 1,000 streams (ms; the floor is not clean here) | 1400 | — | — |", markdown, StringComparison.Ordinal);
        Assert.Contains("| **not clean** |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void ACeilingWhoseHarnessFilledItsCoreIsNamedAsTheHarnesss()
    {
        var results = Results();
        results.Runs.Add(Ceiling(Current, mockCpu: 50, generatorCpu: 34));
        results.Runs.Add(Ceiling(Baseline, mockCpu: 60, generatorCpu: 37));

        var markdown = PinnedReport.Markdown(results);

        Assert.Contains("**ChatApi 2b598c5, in-memory: the ceiling was the harness's.** Its harness (the mock and the load generator, and redis-server where it shares their core) used 97% of that core", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("ChatApi current, in-memory: the ceiling was the harness's", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void TheCeilingIsTheMedianOfItsWindowsAndEveryWindowIsListed()
    {
        var results = Results();
        List<PinnedRun> windows = [.. new long[] { 200_000, 280_000, 240_000, 220_000, 260_000 }.Select(chunks => Ceiling(Current, mockCpu: 30, generatorCpu: 10, chunks))];
        results.CeilingWindowRuns.AddRange(windows);
        results.Runs.Add(PinnedRun.Median(windows));

        var markdown = PinnedReport.Markdown(results);

        Assert.Equal(240_000, PinnedRun.Median(windows).Result.Chunks);
        Assert.Equal(200_000, PinnedRun.Median([windows[0], windows[1]]).Result.Chunks);
        Assert.Contains("| relay ceiling, in memory: chunks per ChatApi CPU-second | 121,212 |", markdown, StringComparison.Ordinal);
        Assert.Contains("Each relay ceiling is the median of 5 windows of 6 s", markdown, StringComparison.Ordinal);
        Assert.Contains("- ChatApi current, in-memory: 101,010, 111,111, **121,212**, 131,313, 141,414", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void OtherWorkIsJudgedByCpuTimeBeyondTheBenchmarksOwnProcessesNotByTheLoadAverage()
    {
        var results = Results();
        // A ceiling's own threads take the load average to 10 on two cores; its processes account for all the busy time.
        results.Runs.Add(Run(Current, 250, chatApiCpu: 97, chunks: 10_000, otherWorkCpu: 2, loadAverage: 10.1));

        var markdown = PinnedReport.Markdown(results);

        Assert.DoesNotContain("Other work shared the cores", markdown, StringComparison.Ordinal);
        Assert.Contains("was at most 2% of a core in any window", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void AWindowWhoseCoresWereBusyBeyondItsProcessesIsWarnedOf()
    {
        var results = Results();
        results.Runs.Add(Run(Current, 250, chatApiCpu: 60, chunks: 10_000, otherWorkCpu: 2, loadAverage: 2.2));
        results.Runs.Add(Run(Baseline, 250, chatApiCpu: 55, chunks: 10_000, otherWorkCpu: 40, loadAverage: 2.4));

        var markdown = PinnedReport.Markdown(results);

        Assert.Contains("**Other work shared the cores during this run** (in one window the machine's cores were busy for 40% of a core beyond the benchmark's own processes)", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void TheErrorsOfEveryWindowAreListedWithTheirDetails()
    {
        var results = Results();
        var run = Run(Current, 2_000, chatApiCpu: 99, chunks: 50_000) with { Scenario = "paced" };
        results.Runs.Add(run with
        {
            Result = run.Result with
            {
                Errors = new Dictionary<string, int> { ["timeout"] = 3 },
                ErrorSamples = new Dictionary<string, List<string>> { ["timeout"] = ["no end 60.0 s after message 2 (12 chunks seen)"] },
            },
        });

        var markdown = PinnedReport.Markdown(results);

        Assert.Contains("- ChatApi current, in-memory, paced, 2,000 streams: **timeout** × 3: `no end 60.0 s after message 2 (12 chunks seen)`", markdown, StringComparison.Ordinal);
        Assert.Contains("| errors seen by the generator, in memory, 2,000 streams | 3 | — | — |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void TheClusterIsSetBesideOneRedisServerOnlyWhenItWasMeasured()
    {
        var results = Results();
        results.Runs.Add(Run(Current with { Name = "ChatApi current, Redis", Store = Store.Redis }, 250, chatApiCpu: 80, chunks: 10_000, firstChunkP99: 220));
        var withoutCluster = PinnedReport.Markdown(results);
        results.Runs.Add(Run(Current with { Name = "ChatApi current, Redis Cluster", Store = Store.RedisCluster }, 250, chatApiCpu: 88, chunks: 10_000, firstChunkP99: 231));

        var markdown = PinnedReport.Markdown(results);

        Assert.DoesNotContain("Redis Cluster", withoutCluster, StringComparison.Ordinal);
        Assert.Contains("| figure | Redis Cluster | one redis-server | cluster ÷ node |", markdown, StringComparison.Ordinal);
        Assert.Contains("| first-chunk p99, 250 streams (ms) | 231.0 | 220.0 | 1.05× |", markdown, StringComparison.Ordinal);
        Assert.Contains("| ChatApi CPU per chunk, 250 streams (µs) | 176.0 | 160.0 | 1.10× |", markdown, StringComparison.Ordinal);
        Assert.Contains("| relay ceiling: chunks per ChatApi CPU-second | — | — | — |", markdown, StringComparison.Ordinal);
        Assert.Contains("| ChatApi CPU per chunk, Redis Cluster, 250 streams (µs) | 176.0 | — | — |", markdown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("memory", Store.InMemory)]
    [InlineData("redis", Store.Redis)]
    [InlineData("cluster", Store.RedisCluster)]
    public void EachStoreOptionNamesAStore(string option, Store store) => Assert.Equal(store, Stores.Parse(option));

    [Fact]
    public void AnUnknownStoreIsRefusedRatherThanRunInMemory() =>
        Assert.Contains("use memory, redis or cluster", Assert.Throws<ArgumentException>(() => Stores.Parse("clustre")).Message, StringComparison.Ordinal);

    [Fact]
    public void TheSectionReplacesItselfAndLeavesTheRestOfTheFile()
    {
        const string document = "# Benchmarks\n\nIntro.\n\n## Method\n\nText.\n";
        var first = PinnedReport.Splice(document, $"{PinnedReport.Begin}\nfirst\n{PinnedReport.End}\n");
        var second = PinnedReport.Splice(first, $"{PinnedReport.Begin}\nsecond\n{PinnedReport.End}\n");

        Assert.Equal($"# Benchmarks\n\nIntro.\n\n{PinnedReport.Begin}\nfirst\n{PinnedReport.End}\n\n## Method\n\nText.\n", first);
        Assert.Equal(first.Replace("first", "second", StringComparison.Ordinal), second);
        Assert.Equal($"{PinnedReport.Begin}\nsecond\n{PinnedReport.End}", PinnedReport.Extract(second));
        Assert.Null(PinnedReport.Extract(document));
    }

    [Fact]
    public void TheSweepsReportKeepsThePinnedSection()
    {
        var path = Path.Combine(Path.GetTempPath(), $"benchmarks-{Guid.NewGuid():N}.md");
        try
        {
            PinnedReport.Write(Results(), path);
            var pinned = PinnedReport.Extract(File.ReadAllText(path));

            BenchmarkReport.Write(SweepResultsForTest(), path);

            Assert.NotNull(pinned);
            Assert.Equal(pinned, PinnedReport.Extract(File.ReadAllText(path)));
            Assert.Contains("## Against the targets", File.ReadAllText(path), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
            Directory.Delete(Path.Combine(Path.GetDirectoryName(path)!, "benchmarks"), recursive: true);
        }
    }

    [Fact]
    public void SavedResultsReadBackIntoTheSameSection()
    {
        var results = Results();
        results.Runs.Add(Run(Current, 250, chatApiCpu: 85, chunks: 10_000));
        results.WarmUps.Add(new WarmUp(Current, "paced", 250, [new WarmUpRound(1, 4.2, 3_400, 220), new WarmUpRound(2, 4.1, 3, 90)], Quiet: true));
        results.Idle.Add(new IdleMemoryRun(Baseline, "cold", 10_000, 10_000, TimeSpan.FromSeconds(15), 100 << 20, 280 << 20, 1.2));
        var path = Path.Combine(Path.GetTempPath(), $"bench-pinned-{Guid.NewGuid():N}.json");
        try
        {
            results.Save(path);

            Assert.Equal(PinnedReport.Markdown(results), PinnedReport.Markdown(PinnedResults.Load(path)));
            Assert.Contains("| 2b598c5 | cold | 10,000 / 10,000 | 15 s | 100.0 → 280.0 MiB | 18.4 KiB (18.9 KB) | 1.2 |", PinnedReport.Markdown(results), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static PinnedResults Results() => new()
    {
        Machine = new MachineInfo("cpu", 2, 8, "kernel", ".NET", 0.5, 20_000),
        Started = DateTimeOffset.UnixEpoch,
        Cores = CorePlan.TwoCores,
        Paced = Pacing.Latency,
        Ceiling = Pacing.Ceiling,
        CeilingUsers = 50,
        CeilingDuration = TimeSpan.FromSeconds(6),
        TurnsPerUser = 5,
        Builds = ["current", "2b598c5"],
        Levels = [250, 1_000],
        ErrorsLevel = 2_000,
    };

    /// <summary>A ceiling window at 50 streams with ChatApi at 99% of its core and the harness's processes as given.</summary>
    private static PinnedRun Ceiling(Target target, double mockCpu, double generatorCpu, long chunks = 240_000)
    {
        var run = Run(target, 50, chatApiCpu: 99, chunks: chunks);
        List<ProcessUsage> processes = [new ProcessUsage("mock", mockCpu, 80 << 20, 80 << 20), new ProcessUsage("load generator", generatorCpu, 90 << 20, 90 << 20), run.Result.Process("ChatApi")!];
        return run with { Scenario = "ceiling", Result = run.Result with { Processes = processes } };
    }

    /// <summary>
    /// A paced window. The machine's busy time is its processes' CPU plus <paramref name="otherWorkCpu"/> (% of a core),
    /// over <see cref="Results"/>' two cores; <paramref name="loadAverage"/> is what the window closed with.
    /// </summary>
    private static PinnedRun Run(Target target, int users, double chatApiCpu, long chunks, double firstChunkP99 = 205, double otherWorkCpu = 1, double loadAverage = 1.5)
    {
        List<ProcessUsage> processes = [new ProcessUsage("mock", 20, 80 << 20, 80 << 20), new ProcessUsage("load generator", 10, 90 << 20, 90 << 20)];
        if (target.Route != Route.DirectToMock)
        {
            processes.Add(new ProcessUsage("ChatApi", chatApiCpu, 300 << 20, 250 << 20));
        }

        var result = new LoadResult(users, users, users * 5, chunks, TimeSpan.FromSeconds(2), new Distribution(100, 201, 203, firstChunkP99, firstChunkP99 + 5),
            new Distribution(100, 20, 21, 25, 30), new Distribution(100, 1_200, 1_210, 1_250, 1_300), new Dictionary<string, int>(), processes,
            MachineBusyPercent: (processes.Sum(p => p.CpuPercent) + otherWorkCpu) / 2);
        return new PinnedRun(target, "paced", users, result, 0, loadAverage);
    }

    private static SweepResults SweepResultsForTest() => new()
    {
        Machine = new MachineInfo("cpu", 2, 8, "kernel", ".NET", 0.5, 20_000),
        Started = DateTimeOffset.UnixEpoch,
        LatencyPacing = Pacing.Latency,
        CeilingPacing = Pacing.Ceiling,
        CeilingUsers = 50,
        CeilingDuration = TimeSpan.FromSeconds(6),
        IdleConnections = 10_000,
        Targets = [Target.Direct, Target.ChatApiInMemory],
    };
}

using System.Globalization;
using System.Text;
using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;
using AspireChat.Bench.Stats;

namespace AspireChat.Bench.Report;

/// <summary>Writes docs/benchmarks.md and its charts from a sweep's results.</summary>
public static class BenchmarkReport
{
    private const string ChartFolder = "benchmarks";

    public static void Write(SweepResults results, string markdownPath)
    {
        ArgumentNullException.ThrowIfNull(results);
        var folder = Path.GetDirectoryName(markdownPath)!;
        Directory.CreateDirectory(Path.Combine(folder, ChartFolder));
        File.WriteAllText(Path.Combine(folder, ChartFolder, "added-p99-latency.svg"), AddedLatencyChart(results));
        File.WriteAllText(Path.Combine(folder, ChartFolder, "chunks-per-second-vs-cpu.svg"), ThroughputChart(results));
        // The pinned run's section (bench/run.sh) is its own: kept as it was.
        var pinned = File.Exists(markdownPath) ? PinnedReport.Extract(File.ReadAllText(markdownPath)) : null;
        var markdown = Markdown(results);
        File.WriteAllText(markdownPath, pinned is null ? markdown : PinnedReport.Splice(markdown, pinned));
    }

    public static string Markdown(SweepResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        var machine = results.Machine;
        var loads = results.LoadAverages.DefaultIfEmpty(machine.LoadAverageAtStart).ToArray();
        md.AppendLine("# Benchmarks: what AspireChat adds to a token stream");
        md.AppendLine();
        md.AppendLine(Invariant($"_Written by `bench/run.sh --sweep` on {results.Started:yyyy-MM-dd HH:mm} UTC; the sweep took {results.Elapsed.TotalMinutes:F1} min. The tables and charts are generated: rerun the command rather than edit them._"));
        md.AppendLine();
        md.AppendLine("AspireChat relays a model's tokens to browsers. These figures say what the relay costs: the latency it adds to the first token and between tokens, how many tokens per second one instance carries, and how much memory an idle connection holds. Every latency figure is set against a baseline taken in the same run: the same load generator reading the mock model's own stream directly, so **added latency = through AspireChat − direct to the mock**.");
        md.AppendLine();
        md.AppendLine("## Reproduce");
        md.AppendLine();
        md.AppendLine("```bash");
        md.AppendLine("bench/run.sh                   # issue 18's pinned method, this build beside 2b598c5: the section \"ChatApi on its own core\" (30 to 60 minutes)");
        md.AppendLine("bench/run.sh --no-baseline --stores redis,cluster --levels 100,250,1000   # the pinned method on one redis-server and on a local 3-master Redis Cluster (issue 17's goals): \"Redis Cluster beside one redis-server\"");
        md.AppendLine("bench/run.sh --sweep           # this sweep on shared cores (about 10 minutes): the rest of this file and docs/benchmarks/*.svg");
        md.AppendLine("bench/run.sh --sweep --quick   # a shorter sweep (fewer users, shorter runs) to try a change");
        md.AppendLine("bench/profile.sh 250           # perf, dotnet-counters and a summary of ChatApi at 250 pinned streams (bench/findings.md)");
        md.AppendLine("dotnet run -c Release --project bench/AspireChat.Bench -- run --target chatapi --users 100   # one run, printed");
        md.AppendLine("dotnet run -c Release --project bench/AspireChat.Bench -- run --target redis --users 50 --ttft 0ms --interval 0ms --tokens 500 --duration 6s --ramp-up 100ms --repeat 3   # the ceiling, three runs in one process");
        md.AppendLine("dotnet run -c Release --project bench/AspireChat.Bench -- smoke                            # what CI runs");
        md.AppendLine("```");
        md.AppendLine();
        AppendMethod(md, results);
        md.AppendLine("## Machine");
        md.AppendLine();
        md.AppendLine("| CPU | cores | memory | kernel | runtime | open files limit |");
        md.AppendLine("|---|---|---|---|---|---|");
        md.AppendLine(Invariant($"| {machine.Cpu} | {machine.Cores} | {machine.MemoryGiB:F1} GiB | {machine.Kernel} | {machine.Runtime} | {machine.OpenFilesLimit:N0} |"));
        md.AppendLine();
        md.AppendLine(Invariant($"The one-minute load average was {machine.LoadAverageAtStart:F1} when the sweep started and ranged from {loads.Min():F1} to {loads.Max():F1} between runs (the machine has {machine.Cores} cores)."));
        if (loads.Max() > machine.Cores)
        {
            md.AppendLine("**Other work was running on the machine during this sweep** (the load average exceeded the core count), so the figures are pessimistic and noisier than on an idle machine: the `machine` column of each table shows how busy all cores were, and the difference from the processes listed is work that was not the benchmark's.");
        }

        md.AppendLine();
        AppendTargets(md, results);
        AppendLatency(md, results);
        AppendCeiling(md, results);
        AppendIdle(md, results);
        AppendMicro(md);
        if (results.NotMeasured.Count > 0)
        {
            md.AppendLine("## Not measured in this run");
            md.AppendLine();
            foreach (var line in results.NotMeasured)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
            }

            md.AppendLine();
        }

        var findings = Path.Combine(BuildOutput.RepositoryRoot, "bench", "findings.md");
        if (File.Exists(findings))
        {
            md.AppendLine(File.ReadAllText(findings).TrimEnd());
            md.AppendLine();
        }

        return md.ToString();
    }

    private static void AppendMethod(StringBuilder md, SweepResults results)
    {
        md.AppendLine("## Method");
        md.AppendLine();
        md.AppendLine("- **The model** is `bench/AspireChat.MockOpenAI` (docs/mock-openai.md), an OpenAI-compatible server in its own process that streams deterministic tokens as OpenAI's SSE chunks, paced from the moment each request arrived. ChatApi calls it with the real OpenAI SDK (`Model__Provider=openai`, `Model__Endpoint=<mock>/v1/`, over HTTP/2 on the mock's HTTP/2-only port with `Model__HttpVersionPolicy=RequestVersionExact`); the pacing is chosen through the model name (`Model__Name=mock?ttft=200ms&interval=20ms&tokens=50`).");
        md.AppendLine("- **The services** are started from their Release build output as processes, configured only by environment, as the AppHost does: ChatApi (`ASPNETCORE_ENVIRONMENT=Production`, log level Warning, the per-client message and connection limits raised so one load generator is not throttled); with `ConnectionStrings__cache` pointing at a fresh `redis-server --save '' --appendonly no` for the Redis store (for the pinned method's `--stores cluster`, listing the three masters of a fresh local Redis Cluster: `redis-server --cluster-enabled yes`, persistence off, formed by `redis-cli --cluster create ... --cluster-replicas 0`, its three processes on the core one redis-server gets; this build only, the baselines predate cluster support); and Web in front of ChatApi (`services__chatapi__http__0`) for the proxy route.");
        md.AppendLine("- **The load generator** (`bench/AspireChat.Bench`) runs N virtual users, each with its own `ClientWebSocket` speaking docs/protocol.md: it sends `message`, reads `start`, every `chunk` (checking `seq`) and `end`, and continues its conversation with the next message as soon as the reply ends. Each frame is timestamped when its receive completes. For the baseline the same users POST to the mock's `/v1/chat/completions` and timestamp each token event of the SSE stream.");
        md.AppendLine("- **Figures**: *first chunk* is from sending the message to the first `chunk` (direct: the first token event); *gap* is between consecutive chunks of a reply; *reply* is from sending to `end` (direct: `[DONE]`). Percentiles are nearest-rank over every reply or gap of the run. *Added* is the target's percentile minus the direct baseline's at the same percentile and concurrency. Each service process is warmed first with 100 users × 2 unmeasured messages (a fresh .NET process runs unoptimized tier-0 code until its JIT has seen the hot path); in each run the users connect, send one unmeasured message each, and the measured messages start spread evenly over one second.");
        md.AppendLine("- **CPU and memory** come from `/proc/<pid>/stat` (utime + stime over the measured window; 100% = one core) and `/proc/<pid>/status` (the resident set sampled every 100 ms for the peak). The mock and the load generator run on the same two cores and are measured too. *Memory per idle connection* is the growth of each server's resident set from before N WebSockets opened to after they were held, idle, for a few seconds, divided by N.");
        md.AppendLine(Invariant($"- **Scenarios**: latency at {string.Join(", ", results.Latency.Select(r => r.Users).Distinct().Order().Select(u => u.ToString("N0", CultureInfo.InvariantCulture)))} concurrent streams with the mock at {results.LatencyPacing}; the relay ceiling with the mock at {results.CeilingPacing}, {results.CeilingUsers} users sending back to back for {results.CeilingDuration.TotalSeconds:F0} s, the best of {results.CeilingAttempts} such runs in one process (a ceiling is a best case: the first run of a fresh process is partly unoptimized JIT code, and other work shares the cores); {results.IdleConnections:N0} idle WebSockets. Targets: {string.Join(", ", results.Targets.Select(t => t.Name))}."));
        md.AppendLine();
    }

    private static void AppendTargets(StringBuilder md, SweepResults results)
    {
        md.AppendLine("## Against the targets");
        md.AppendLine();
        md.AppendLine("The targets of issue 7, for ChatApi with the in-memory store unless said otherwise.");
        md.AppendLine();
        md.AppendLine("| goal | measured | verdict |");
        md.AppendLine("|---|---|---|");
        var target = Target.ChatApiInMemory;
        var interval = results.LatencyPacing.TokenInterval.TotalMilliseconds;
        Added(results, target, 100, out var added100);
        Added(results, target, 1_000, out var added1000);
        Row(md, "Added time to first chunk at 100 streams: p50 ≤ 1 ms", added100?.P50, "ms", v => v <= 1);
        Row(md, "Added time to first chunk at 100 streams: p99 ≤ 5 ms", added100?.P99, "ms", v => v <= 5);
        Row(md, "Added time to first chunk at 1,000 streams: p99 ≤ 20 ms", added1000?.P99, "ms", v => v <= 20);
        Row(md, Invariant($"Inter-chunk gap p99 at 1,000 streams within 5 ms of the mock's {interval:0} ms"),
            results.LatencyOf(target, 1_000)?.InterChunkGap.P99 - interval, "ms over the interval", v => v <= 5);
        Row(md, "Relay ceiling ≥ 50,000 chunks/s", results.CeilingOf(target)?.ChunksPerSecond, "chunks/s", v => v >= 50_000, "N0");
        Row(md, Invariant($"≤ 16 KB of server memory per idle WebSocket at {results.IdleConnections:N0}"),
            results.IdleOf(target)?.Processes.FirstOrDefault(p => p.Name == "ChatApi")?.BytesPerConnection / 1024, "KiB", v => v <= 16);

        var redis = Target.ChatApiRedis;
        Added(results, redis, 100, out var redisAdded100);
        Row(md, "Redis: added first chunk p99 at 100 streams ≤ 1.5× in-memory", Ratio(redisAdded100?.P99, added100?.P99), "×", v => v <= 1.5, "F2");
        Row(md, "Redis: relay ceiling ≥ in-memory ÷ 1.5", Ratio(results.CeilingOf(target)?.ChunksPerSecond, results.CeilingOf(redis)?.ChunksPerSecond), "× slower", v => v <= 1.5, "F2");
        Row(md, "Redis: idle memory per connection ≤ 1.5× in-memory",
            Ratio(results.IdleOf(redis)?.Processes.FirstOrDefault(p => p.Name == "ChatApi")?.BytesPerConnection,
                  results.IdleOf(target)?.Processes.FirstOrDefault(p => p.Name == "ChatApi")?.BytesPerConnection), "×", v => v <= 1.5, "F2");
        // Resumable replies have no switch: every reply goes through the reply broker (in memory, or Redis streams with the Redis store).
        md.AppendLine("| Resumable streams on: ≤ 1.5× in-memory | always on since the reply broker landed: the Redis rows above include it (every chunk is also written to a Redis stream) | see the Redis rows |");
        md.AppendLine();
    }

    private static void AppendLatency(StringBuilder md, SweepResults results)
    {
        md.AppendLine(Invariant($"## Latency: mock at {results.LatencyPacing}"));
        md.AppendLine();
        md.AppendLine("![Added p99 latency vs concurrency](benchmarks/added-p99-latency.svg)");
        md.AppendLine();
        md.AppendLine("Milliseconds. *added* = this row minus the direct-to-mock row at the same concurrency (a negative value means the baseline's tail was the slower one: noise; the chart draws it at 0). CPU in % of one core.");
        md.AppendLine();
        md.AppendLine("| streams | target | first chunk p50 / p90 / p99 / max | added p50 / p99 | gap p50 / p90 / p99 / max | added gap p99 | reply p50 / p99 | chunks/s | CPU: server / mock / generator / machine | peak RSS | errors | held |");
        md.AppendLine("|---:|---|---|---|---|---|---|---:|---|---:|---:|---:|");
        foreach (var users in results.Latency.Select(r => r.Users).Distinct().Order())
        {
            var direct = results.LatencyOf(Target.Direct, users);
            foreach (var run in results.Latency.Where(r => r.Users == users))
            {
                var r = run.Result;
                var isBaseline = run.Target.Route == Route.DirectToMock;
                var added = isBaseline || direct is null ? "baseline" : Invariant($"{r.TimeToFirstChunk.Minus(direct.TimeToFirstChunk).P50:F2} / {r.TimeToFirstChunk.Minus(direct.TimeToFirstChunk).P99:F2}");
                var addedGap = isBaseline || direct is null ? "baseline" : Invariant($"{r.InterChunkGap.P99 - direct.InterChunkGap.P99:F2}");
                md.AppendLine(Invariant($"| {users:N0} | {run.Target.Name} | {Four(r.TimeToFirstChunk)} | {added} | {Four(r.InterChunkGap)} | {addedGap} | {r.WholeReply.P50:F1} / {r.WholeReply.P99:F1} | {r.ChunksPerSecond:N0} | {Cpu(r)} | {PeakRss(r)} | {Errors(r)} | {r.ConnectionsHeld:N0} |"));
            }
        }

        md.AppendLine();
    }

    private static void AppendCeiling(StringBuilder md, SweepResults results)
    {
        md.AppendLine(Invariant($"## Relay ceiling: mock at {results.CeilingPacing}, {results.CeilingUsers} users, best of {results.CeilingAttempts} × {results.CeilingDuration.TotalSeconds:F0} s"));
        md.AppendLine();
        md.AppendLine("![Chunks per second vs CPU](benchmarks/chunks-per-second-vs-cpu.svg)");
        md.AppendLine();
        md.AppendLine("The chart puts every run of a target (the latency levels and the ceiling) on one line: chunks delivered per second against the CPU its server processes used. The direct ceiling is left off the chart: reading the mock's SSE stream in large reads, the load generator counts over a million chunks per second, twenty times the scale of the rest.");
        md.AppendLine();
        md.AppendLine("*Chunks per server CPU-second* divides the rate by the CPU the server processes (ChatApi, Web, Redis; the mock for the baseline) used: it is steadier than the rate itself when other work shares the cores.");
        md.AppendLine();
        md.AppendLine("| target | chunks/s | chunks per server CPU-second | first chunk p50 / p99 ms | reply p50 / p99 ms | CPU: server / mock / generator / machine | peak RSS | errors |");
        md.AppendLine("|---|---:|---:|---|---|---|---:|---:|");
        foreach (var run in results.Ceiling)
        {
            var r = run.Result;
            var efficiency = ChunksPerServerCpuSecond(r, run.Target) is { } perCpuSecond ? Invariant($"{perCpuSecond:N0}") : "";
            md.AppendLine(Invariant($"| {run.Target.Name} | {r.ChunksPerSecond:N0} | {efficiency} | {r.TimeToFirstChunk.P50:F1} / {r.TimeToFirstChunk.P99:F1} | {r.WholeReply.P50:F1} / {r.WholeReply.P99:F1} | {Cpu(r)} | {PeakRss(r)} | {Errors(r)} |"));
        }

        md.AppendLine();
    }

    private static void AppendIdle(StringBuilder md, SweepResults results)
    {
        md.AppendLine(Invariant($"## Memory per idle WebSocket: {results.IdleConnections:N0} connections"));
        md.AppendLine();
        md.AppendLine("The baseline (*direct to mock*) is a bare ASP.NET Core WebSocket endpoint in a freshly started mock process (`GET /ws`: accept, then receive into a 1 KiB buffer until closed): the floor any Kestrel WebSocket server pays, with the same runtime and GC settings. Through the proxy, Web holds two sockets per connection (the client's and its own to ChatApi), so with the open-files limit it is measured at fewer connections.");
        md.AppendLine();
        md.AppendLine("| target | held / opened | opened in | process | RSS before → after | per connection |");
        md.AppendLine("|---|---:|---:|---|---|---:|");
        foreach (var run in results.Idle)
        {
            foreach (var process in run.Result.Processes)
            {
                md.AppendLine(Invariant($"| {run.Target.Name} | {run.Result.Held:N0} / {run.Result.Requested:N0} | {run.Result.ConnectTime.TotalSeconds:F1} s | {process.Name} | {process.ResidentBytesBefore / 1048576.0:F1} → {process.ResidentBytesAfter / 1048576.0:F1} MiB | {process.BytesPerConnection / 1024:F1} KiB |"));
            }
        }

        md.AppendLine();
    }

    /// <summary>The micro-benchmarks' tables, when bench/run.sh ran them first (BenchmarkDotNet's GitHub markdown).</summary>
    private static void AppendMicro(StringBuilder md)
    {
        var folder = Path.Combine(BuildOutput.RepositoryRoot, "artifacts", "bench-micro", "results");
        var reports = Directory.Exists(folder) ? Directory.GetFiles(folder, "*-report-github.md").Order(StringComparer.Ordinal).ToArray() : [];
        md.AppendLine("## Micro-benchmarks of the per-token path");
        md.AppendLine();
        if (reports.Length == 0)
        {
            md.AppendLine("Not run: `bench/run.sh` runs them before the sweep (`dotnet run -c Release --project bench/AspireChat.Bench.Micro -- --filter '*'`).");
            md.AppendLine();
            return;
        }

        md.AppendLine("BenchmarkDotNet (short in-process runs on the same shared two cores: compare the rows, do not quote the nanoseconds). `bench/AspireChat.Bench.Micro`.");
        md.AppendLine();
        foreach (var report in reports)
        {
            var name = Path.GetFileName(report).Replace("-report-github.md", "", StringComparison.Ordinal).Split('.')[^1];
            md.AppendLine(CultureInfo.InvariantCulture, $"### {name}");
            md.AppendLine();
            md.AppendLine(File.ReadAllText(report).Trim());
            md.AppendLine();
        }
    }

    private static string AddedLatencyChart(SweepResults results)
    {
        var series = new List<ChartSeries>();
        foreach (var target in results.Targets.Where(t => t.Route != Route.DirectToMock))
        {
            series.Add(new ChartSeries($"{target.Name}: first chunk", AddedPoints(results, target, r => r.TimeToFirstChunk.P99)));
            series.Add(new ChartSeries($"{target.Name}: gap", AddedPoints(results, target, r => r.InterChunkGap.P99)));
        }

        return SvgChart.Render("Added p99 latency vs concurrent streams", "concurrent streams", "added p99 (ms)", series, logX: true, referenceY: 5, referenceLabel: "5 ms");
    }

    private static List<(double X, double Y)> AddedPoints(SweepResults results, Target target, Func<LoadResult, double> percentile) =>
        [.. results.Latency.Where(r => r.Target.Name == target.Name)
            .Select(r => (r, direct: results.LatencyOf(Target.Direct, r.Users)))
            .Where(p => p.direct is not null)
            // A negative difference is noise (the baseline's tail was the slower one): drawn at 0.
            .Select(p => ((double)p.r.Users, Math.Max(0, percentile(p.r.Result) - percentile(p.direct!))))];

    private static string ThroughputChart(SweepResults results)
    {
        // The direct ceiling (the load generator reading the mock's SSE in large reads) is off this chart's scale
        // by twenty times; its table row shows it. Its paced runs stay, as the baseline.
        var series = results.Targets.Select(target => new ChartSeries(target.Name,
            [.. results.Latency.Where(r => r.Target.Name == target.Name).Select(r => r.Result)
                .Concat(results.Ceiling.Where(r => r.Target.Name == target.Name && r.Target.Route != Route.DirectToMock).Select(r => r.Result))
                .Select(r => (ServerCpu(r, target), r.ChunksPerSecond))])).ToArray();
        return SvgChart.Render("Chunks per second vs server CPU", "server CPU (% of one core; mock for direct)", "chunks delivered per second", series, logX: false, referenceY: 50_000, referenceLabel: "50,000 chunks/s target");
    }

    /// <summary>The rate over the CPU the server processes used (ChatApi, Web, Redis; the mock for the baseline); null with no CPU measured.</summary>
    public static double? ChunksPerServerCpuSecond(LoadResult result, Target target)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(target);
        var cpu = ServerCpu(result, target) + (result.Process("redis")?.CpuPercent ?? 0);
        return cpu > 0 ? result.ChunksPerSecond / (cpu / 100) : null;
    }

    private static double ServerCpu(LoadResult result, Target target) =>
        target.Route == Route.DirectToMock
            ? result.Process("mock")?.CpuPercent ?? double.NaN
            : result.Processes.Where(p => p.Name is "ChatApi" or "Web").Sum(p => p.CpuPercent);

    private static bool Added(SweepResults results, Target target, int users, out Distribution? added)
    {
        var measured = results.LatencyOf(target, users);
        var direct = results.LatencyOf(Target.Direct, users);
        added = measured is null || direct is null ? null : measured.TimeToFirstChunk.Minus(direct.TimeToFirstChunk);
        return added is not null;
    }

    private static double? Ratio(double? numerator, double? denominator) =>
        numerator is { } n && denominator is { } d && d > 0 ? n / d : null;

    private static void Row(StringBuilder md, string goal, double? measured, string unit, Func<double, bool> met, string format = "F2")
    {
        var (value, verdict) = measured is { } v && double.IsFinite(v)
            ? ($"{v.ToString(format, CultureInfo.InvariantCulture)} {unit}", met(v) ? "met" : "**missed**")
            : ("not measured", "—");
        md.AppendLine(CultureInfo.InvariantCulture, $"| {goal} | {value} | {verdict} |");
    }

    private static string Four(Distribution d) => Invariant($"{d.P50:F1} / {d.P90:F1} / {d.P99:F1} / {d.Max:F1}");

    private static string Cpu(LoadResult r)
    {
        var server = r.Processes.Where(p => p.Name is "ChatApi" or "Web" or "redis").Select(p => Invariant($"{p.Name} {p.CpuPercent:F0}%"));
        return string.Join(" + ", server.DefaultIfEmpty("—"))
            + Invariant($" / {r.Process("mock")?.CpuPercent ?? 0:F0}% / {r.Process("load generator")?.CpuPercent ?? 0:F0}% / {r.MachineBusyPercent:F0}%");
    }

    private static string PeakRss(LoadResult r)
    {
        var servers = r.Processes.Where(p => p.Name is "ChatApi" or "Web").ToArray();
        return servers.Length == 0
            ? Invariant($"mock {r.Process("mock")?.PeakResidentBytes / 1048576.0:F0} MiB")
            : string.Join(" + ", servers.Select(p => Invariant($"{p.PeakResidentBytes / 1048576.0:F0} MiB")));
    }

    private static string Errors(LoadResult r) =>
        r.ErrorCount == 0 ? "0" : $"{r.ErrorCount} ({string.Join(", ", r.Errors.Select(e => $"{e.Key}: {e.Value}"))})";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

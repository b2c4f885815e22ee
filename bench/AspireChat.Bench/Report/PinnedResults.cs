using System.Text.Json;
using System.Text.Json.Serialization;
using AspireChat.Bench.Load;
using AspireChat.Bench.Processes;

namespace AspireChat.Bench.Report;

/// <summary>One measured window of a pinned run: a target (build and store; the direct floor) at a load.</summary>
/// <param name="Target">The build and store, or the direct floor.</param>
/// <param name="Scenario"><c>paced</c> or <c>ceiling</c>.</param>
/// <param name="Users">Concurrent streams.</param>
/// <param name="Result">What the window measured.</param>
/// <param name="Compiled">Methods ChatApi's JIT compiled during the window (perf map lines, stubs included): 0 means tiering was done.</param>
/// <param name="LoadAverage">The machine's one-minute load average when the window closed.</param>
public sealed record PinnedRun(Target Target, string Scenario, int Users, LoadResult Result, int Compiled, double LoadAverage)
{
    /// <summary>ChatApi's CPU time per chunk delivered, in microseconds (NaN for the floor).</summary>
    public double ChatApiMicrosecondsPerChunk => MicrosecondsPerChunk(Result, "ChatApi");

    /// <summary>The harness's CPU (mock, load generator, and redis-server when it shares their core), in % of one core.</summary>
    public double HarnessCpuPercent(CorePlan cores)
    {
        ArgumentNullException.ThrowIfNull(cores);
        return Result.Processes.Where(p => p.Name is "mock" or "load generator" || (p.Name == "redis" && !cores.RedisOnServerCores)).Sum(p => p.CpuPercent);
    }

    /// <summary>The harness's CPU time per chunk, in microseconds.</summary>
    public double HarnessMicrosecondsPerChunk(CorePlan cores) =>
        Result.Chunks == 0 ? double.NaN : HarnessCpuPercent(cores) / 100 * Result.Elapsed.TotalSeconds / Result.Chunks * 1e6;

    /// <summary>
    /// What the machine's cores were busy with beyond this run's own processes, in % of one core: other work, which takes
    /// part of a pinned process's core. Read from CPU time, not the load average, which also counts the benchmark's own
    /// runnable threads (a ceiling window alone took it to 10 on two cores).
    /// </summary>
    public double OtherWorkCpuPercent(int machineCores) =>
        Math.Max(0, Result.MachineBusyPercent * machineCores - Result.Processes.Sum(p => p.CpuPercent));

    /// <summary>Chunks delivered per second of ChatApi's CPU (the ceiling's figure).</summary>
    public double ChunksPerChatApiCpuSecond => 1e6 / ChatApiMicrosecondsPerChunk;

    /// <summary>The window in the middle by chunks per ChatApi CPU-second (of an even count, the lower of the two).</summary>
    public static PinnedRun Median(IReadOnlyList<PinnedRun> windows)
    {
        ArgumentOutOfRangeException.ThrowIfZero(windows.Count);
        return windows.OrderBy(w => w.ChunksPerChatApiCpuSecond).ElementAt((windows.Count - 1) / 2);
    }

    public static double MicrosecondsPerChunk(LoadResult result, string process)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Process(process) is { } usage && result.Chunks > 0
            ? usage.CpuPercent / 100 * result.Elapsed.TotalSeconds / result.Chunks * 1e6
            : double.NaN;
    }
}

/// <summary>One warm-up round: how much ChatApi still compiled, and what a chunk cost meanwhile.</summary>
public sealed record WarmUpRound(int Round, double Seconds, int Compiled, double ChatApiMicrosecondsPerChunk);

/// <summary>A fresh ChatApi warmed with its scenario (paced at the first load, or the ceiling) until a round compiled (almost) nothing.</summary>
public sealed record WarmUp(Target Target, string Scenario, int Users, IReadOnlyList<WarmUpRound> Rounds, bool Quiet);

/// <summary>Memory per idle WebSocket by one method.</summary>
/// <param name="Target">The build (in-memory store).</param>
/// <param name="Method"><c>settled</c> (warmed process, growth after the connections settled) or <c>cold</c> (a fresh process, before connecting to while holding).</param>
/// <param name="Requested">Connections asked for.</param>
/// <param name="Held">Connections open when the memory was read.</param>
/// <param name="Hold">How long they were held before it was read.</param>
/// <param name="ResidentBytesBefore">ChatApi's resident set before the first connection.</param>
/// <param name="ResidentBytesAfter">ChatApi's resident set while holding them.</param>
/// <param name="LoadAverage">The machine's one-minute load average then.</param>
public sealed record IdleMemoryRun(Target Target, string Method, int Requested, int Held, TimeSpan Hold, long ResidentBytesBefore, long ResidentBytesAfter, double LoadAverage)
{
    public double BytesPerConnection => Held == 0 ? double.NaN : (ResidentBytesAfter - ResidentBytesBefore) / (double)Held;
}

/// <summary>Everything one pinned run measured (<c>bench/run.sh</c>), kept in artifacts/ so the report can be written again.</summary>
public sealed class PinnedResults
{
    public required MachineInfo Machine { get; init; }

    public required DateTimeOffset Started { get; init; }

    public TimeSpan Elapsed { get; set; }

    public required CorePlan Cores { get; init; }

    public required Pacing Paced { get; init; }

    public required Pacing Ceiling { get; init; }

    public required int CeilingUsers { get; init; }

    public required TimeSpan CeilingDuration { get; init; }

    /// <summary>Ceiling windows per build and store, in one warmed process; <see cref="Runs"/> holds their median.</summary>
    public int CeilingWindows { get; init; } = 5;

    public required int TurnsPerUser { get; init; }

    /// <summary>The builds compared, the current one first (<c>current</c>, then commits).</summary>
    public required IReadOnlyList<string> Builds { get; init; }

    /// <summary>The paced loads, and the one at which only errors are counted.</summary>
    public required IReadOnlyList<int> Levels { get; init; }

    public required int ErrorsLevel { get; init; }

    /// <summary>A warm-up round that compiles no more than this (perf map lines, stubs included) ends the warm-up.</summary>
    public int QuietCompiles { get; init; } = 10;

    public List<PinnedRun> Runs { get; } = [];

    /// <summary>Every ceiling window, the median's included.</summary>
    public List<PinnedRun> CeilingWindowRuns { get; } = [];

    public List<WarmUp> WarmUps { get; } = [];

    public List<IdleMemoryRun> Idle { get; } = [];

    public List<string> NotMeasured { get; } = [];

    public PinnedRun? Floor(int users) => Runs.FirstOrDefault(r => r.Target.Route == Route.DirectToMock && r.Users == users);

    public PinnedRun? Run(string build, Store store, string scenario, int users) =>
        Runs.FirstOrDefault(r => r.Target.Route == Route.ChatApi && r.Target.Build == build && r.Target.Store == store && r.Scenario == scenario && r.Users == users);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
        Converters = { new JsonStringEnumConverter() },
    };

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    public static PinnedResults Load(string path) =>
        JsonSerializer.Deserialize<PinnedResults>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} holds no pinned results.");
}

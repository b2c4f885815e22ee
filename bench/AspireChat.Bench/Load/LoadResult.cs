using AspireChat.Bench.Processes;
using AspireChat.Bench.Stats;

namespace AspireChat.Bench.Load;

/// <summary>What one load run measured.</summary>
public sealed record LoadResult(
    int Users,
    int ConnectionsHeld,
    int Replies,
    long Chunks,
    TimeSpan Elapsed,
    Distribution TimeToFirstChunk,
    Distribution InterChunkGap,
    Distribution WholeReply,
    IReadOnlyDictionary<string, int> Errors,
    IReadOnlyList<ProcessUsage> Processes,
    double MachineBusyPercent)
{
    /// <summary>The first few errors of each kind, as they were seen (<see cref="LatencyRecorder.ErrorSamples"/>).</summary>
    public IReadOnlyDictionary<string, List<string>> ErrorSamples { get; init; } = new Dictionary<string, List<string>>();

    public double ChunksPerSecond => Elapsed > TimeSpan.Zero ? Chunks / Elapsed.TotalSeconds : 0;

    public int ErrorCount => Errors.Values.Sum();

    public ProcessUsage? Process(string name) => Processes.FirstOrDefault(p => p.Name == name);

    /// <summary>One line for a console: the figures a person checks first.</summary>
    public string Summary() =>
        $"users {Users}, held {ConnectionsHeld}, replies {Replies}, chunks {Chunks} ({ChunksPerSecond:N0}/s), errors {ErrorCount}"
        + (Errors.Count > 0 ? $" [{string.Join(", ", Errors.Select(e => $"{e.Key}: {e.Value}" + (ErrorSamples.TryGetValue(e.Key, out var samples) ? $" ({string.Join(" | ", samples)})" : "")))}]" : "")
        + $"; first chunk p50 {TimeToFirstChunk.P50:F2} p99 {TimeToFirstChunk.P99:F2} ms; gap p50 {InterChunkGap.P50:F2} p99 {InterChunkGap.P99:F2} ms; reply p99 {WholeReply.P99:F1} ms"
        + $"; CPU {string.Join(", ", Processes.Select(p => $"{p.Name} {p.CpuPercent:F0}%"))}, machine {MachineBusyPercent:F0}%";
}

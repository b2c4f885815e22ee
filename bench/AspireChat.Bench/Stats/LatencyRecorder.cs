using System.Diagnostics;

namespace AspireChat.Bench.Stats;

/// <summary>
/// One virtual user's observations. Each user records into its own instance, so nothing is shared on the
/// per-chunk path; <see cref="Merge"/> joins them when the run is over.
/// </summary>
public sealed class LatencyRecorder
{
    public List<double> TimeToFirstChunk { get; } = [];

    public List<double> InterChunkGap { get; } = [];

    public List<double> WholeReply { get; } = [];

    public long Chunks { get; private set; }

    public int Replies { get; private set; }

    public Dictionary<string, int> Errors { get; } = [];

    public int ErrorCount => Errors.Values.Sum();

    /// <summary>Whether observations are kept: off during warm-up.</summary>
    public bool Recording { get; set; } = true;

    public void Reply(long sent, long firstChunk, long ended)
    {
        if (!Recording)
        {
            return;
        }

        Replies++;
        if (firstChunk != 0)
        {
            TimeToFirstChunk.Add(Milliseconds(sent, firstChunk));
        }

        WholeReply.Add(Milliseconds(sent, ended));
    }

    public void Chunk(long previousChunk, long chunk)
    {
        if (!Recording)
        {
            return;
        }

        Chunks++;
        if (previousChunk != 0)
        {
            InterChunkGap.Add(Milliseconds(previousChunk, chunk));
        }
    }

    public void Error(string kind)
    {
        if (Recording)
        {
            Errors[kind] = Errors.GetValueOrDefault(kind) + 1;
        }
    }

    public static LatencyRecorder Merge(IEnumerable<LatencyRecorder> recorders)
    {
        ArgumentNullException.ThrowIfNull(recorders);
        var merged = new LatencyRecorder();
        foreach (var recorder in recorders)
        {
            merged.TimeToFirstChunk.AddRange(recorder.TimeToFirstChunk);
            merged.InterChunkGap.AddRange(recorder.InterChunkGap);
            merged.WholeReply.AddRange(recorder.WholeReply);
            merged.Chunks += recorder.Chunks;
            merged.Replies += recorder.Replies;
            foreach (var (kind, count) in recorder.Errors)
            {
                merged.Errors[kind] = merged.Errors.GetValueOrDefault(kind) + count;
            }
        }

        return merged;
    }

    private static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}

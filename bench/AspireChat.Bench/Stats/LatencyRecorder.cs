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

    /// <summary>What the first few different errors of each kind said (the server's message, the socket's error, the close status): a count alone cannot be investigated.</summary>
    public Dictionary<string, List<string>> ErrorSamples { get; } = [];

    /// <summary>Errors of one kind whose details are kept.</summary>
    public const int SamplesPerKind = 3;

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

    /// <summary>Counts an error of <paramref name="kind"/> (a protocol error code, <c>timeout</c>, ...) and keeps its <paramref name="detail"/> among the first few.</summary>
    public void Error(string kind, string? detail = null)
    {
        if (!Recording)
        {
            return;
        }

        Errors[kind] = Errors.GetValueOrDefault(kind) + 1;
        if (detail is not null)
        {
            AddSample(ErrorSamples, kind, detail);
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

            foreach (var (kind, samples) in recorder.ErrorSamples)
            {
                foreach (var sample in samples)
                {
                    AddSample(merged.ErrorSamples, kind, sample);
                }
            }
        }

        return merged;
    }

    private static void AddSample(Dictionary<string, List<string>> samples, string kind, string detail)
    {
        if (!samples.TryGetValue(kind, out var list))
        {
            samples[kind] = list = [];
        }

        // The same message a thousand times says no more than once: the first few different ones are kept.
        if (list.Count < SamplesPerKind && !list.Contains(detail))
        {
            list.Add(detail);
        }
    }

    private static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}

using System.Globalization;

namespace AspireChat.Bench.Profiling;

/// <summary>
/// What a window's collections cost the process: the share of its time spent paused, by generation, and the pauses
/// long enough to show in a stream's gap between chunks (the gap goal is 25 ms).
/// </summary>
internal sealed record GcPauseSummary(double WindowMs, IReadOnlyList<GcPause> Pauses, double LongPauseMs = GcPauseSummary.GapGoalMs)
{
    public const double GapGoalMs = 25;

    public double PausedMs => Pauses.Sum(p => p.PauseMs);

    /// <summary>Of the window, the share the process stood still for its collections.</summary>
    public double PausedShare => WindowMs > 0 ? PausedMs / WindowMs : 0;

    public double SuspendMs => Pauses.Sum(p => p.SuspendMs);

    public IReadOnlyList<GcPause> LongPauses => [.. Pauses.Where(p => p.PauseMs >= LongPauseMs)];

    public IEnumerable<GenerationPauses> ByGeneration =>
        Pauses.GroupBy(p => p.Generation).OrderBy(g => g.Key).Select(g => new GenerationPauses(
            g.Key, g.Count(), g.Average(p => p.PauseMs), g.Max(p => p.PauseMs), g.Average(p => p.PromotedMB)));

    public IEnumerable<string> Lines()
    {
        var seconds = WindowMs / 1000;
        if (Pauses.Count == 0)
        {
            yield return Format($"no collections in {seconds:F1} s");
            yield break;
        }

        yield return Format($"{Pauses.Count} collections in {seconds:F1} s ({Pauses.Count / seconds:F1} a second): paused {PausedMs:N0} ms, {PausedShare:P1} of the window; suspending the threads took {SuspendMs:N1} ms of it");
        foreach (var generation in ByGeneration)
        {
            yield return Format($"  gen{generation.Generation}: {generation.Count}, pause mean {generation.MeanPauseMs:F1} ms, longest {generation.MaxPauseMs:F1} ms; promoted {generation.MeanPromotedMB:F1} MB on average");
        }

        var longPauses = LongPauses;
        yield return Format($"  pauses of {LongPauseMs:F0} ms or more: {longPauses.Count} of {Pauses.Count}, {longPauses.Sum(p => p.PauseMs) / WindowMs:P1} of the window; longest {Pauses.Max(p => p.PauseMs):F1} ms");
        yield return Format($"  heap after a collection {Pauses.Min(p => p.HeapAfterMB):F0}–{Pauses.Max(p => p.HeapAfterMB):F0} MB; before one at most {Pauses.Max(p => p.HeapBeforeMB):F0} MB");
    }

    private static string Format(FormattableString line) => line.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One generation's collections in a window.</summary>
internal sealed record GenerationPauses(int Generation, int Count, double MeanPauseMs, double MaxPauseMs, double MeanPromotedMB);

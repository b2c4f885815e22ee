namespace AspireChat.Bench.Stats;

/// <summary>Percentiles of a set of durations, in milliseconds.</summary>
public sealed record Distribution(int Count, double P50, double P90, double P99, double Max)
{
    public static Distribution Empty { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>Nearest-rank percentiles of <paramref name="values"/> (sorted here; the list is reordered).</summary>
    public static Distribution Of(List<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return Empty;
        }

        values.Sort();
        return new Distribution(values.Count, Rank(values, 0.50), Rank(values, 0.90), Rank(values, 0.99), values[^1]);
    }

    /// <summary>This distribution minus a baseline's, percentile by percentile: the latency a relay adds.</summary>
    public Distribution Minus(Distribution baseline)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        return new Distribution(Count, P50 - baseline.P50, P90 - baseline.P90, P99 - baseline.P99, Max - baseline.Max);
    }

    private static double Rank(List<double> sorted, double percentile)
    {
        var rank = (int)Math.Ceiling(percentile * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }
}

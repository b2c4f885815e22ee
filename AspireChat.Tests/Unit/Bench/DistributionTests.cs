using AspireChat.Bench.Stats;

namespace AspireChat.Tests.Unit.Bench;

public sealed class DistributionTests
{
    [Fact]
    public void PercentilesAreNearestRankOverTheValues()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToList();

        var distribution = Distribution.Of(values);

        Assert.Equal(100, distribution.Count);
        Assert.Equal(50, distribution.P50);
        Assert.Equal(90, distribution.P90);
        Assert.Equal(99, distribution.P99);
        Assert.Equal(100, distribution.Max);
    }

    [Fact]
    public void ASingleValueIsEveryPercentile()
    {
        var distribution = Distribution.Of([7.5]);

        Assert.Equal((7.5, 7.5, 7.5, 7.5), (distribution.P50, distribution.P90, distribution.P99, distribution.Max));
    }

    [Fact]
    public void NoValuesGiveNoFigures()
    {
        var distribution = Distribution.Of([]);

        Assert.Equal(0, distribution.Count);
        Assert.True(double.IsNaN(distribution.P99));
    }

    [Fact]
    public void AddedLatencyIsTheDifferencePercentileByPercentile()
    {
        var through = new Distribution(10, 201, 205, 230, 250);
        var direct = new Distribution(10, 200, 202, 210, 215);

        var added = through.Minus(direct);

        Assert.Equal((1, 3, 20, 35), (added.P50, added.P90, added.P99, added.Max));
    }

    [Fact]
    public void RecordersMergeTheirObservationsAndErrors()
    {
        var a = new LatencyRecorder();
        var b = new LatencyRecorder();
        a.Chunk(0, 100);
        a.Chunk(100, 200);
        a.Error("timeout");
        b.Chunk(0, 50);
        b.Error("timeout");
        b.Error("socket_error");
        b.Recording = false;
        b.Chunk(50, 60); // warm-up: not counted

        var merged = LatencyRecorder.Merge([a, b]);

        Assert.Equal(3, merged.Chunks);
        Assert.Single(merged.InterChunkGap);
        Assert.Equal(2, merged.Errors["timeout"]);
        Assert.Equal(1, merged.Errors["socket_error"]);
    }

    [Fact]
    public void EachErrorKindKeepsItsFirstDetailsAcrossUsers()
    {
        var a = new LatencyRecorder();
        var b = new LatencyRecorder();
        for (var i = 0; i < 5; i++)
        {
            a.Error("closed_by_server", $"close frame 1011 'boom {i}'");
        }

        b.Error("closed_by_server", "the server closed the TCP connection");
        b.Error("rate_limited", "slow down");
        b.Error("rate_limited", "slow down");
        b.Error("timeout");

        var merged = LatencyRecorder.Merge([a, b]);

        Assert.Equal(6, merged.Errors["closed_by_server"]);
        Assert.Equal(["close frame 1011 'boom 0'", "close frame 1011 'boom 1'", "close frame 1011 'boom 2'"], merged.ErrorSamples["closed_by_server"]);
        Assert.Equal(["slow down"], merged.ErrorSamples["rate_limited"]);
        Assert.False(merged.ErrorSamples.ContainsKey("timeout"), "An error recorded without a detail has no sample.");
    }
}

using AspireChat.ChatApi;
using AspireChat.ChatApi.WebSockets;

namespace AspireChat.Tests.Unit.WebSockets;

public sealed class MessageTokenBucketTests
{
    // A burst of 3, then one message every 2 s.
    private static readonly ChatLimits s_limits = new() { MessageBurst = 3, MessagesPerMinute = 30 };

    [Fact]
    public void ABurstIsTakenAtOnceAndTheNextMessageIsToldToWaitOneInterval()
    {
        var time = new ManualTime();
        var bucket = new MessageTokenBucket(s_limits, time);

        var burst = Enumerable.Range(0, 3).Select(i => bucket.TryTake(out _)).ToList();
        var refused = bucket.TryTake(out var retryAfter);

        Assert.All(burst, Assert.True);
        Assert.False(refused);
        Assert.Equal(TimeSpan.FromSeconds(2), retryAfter);
    }

    [Fact]
    public void TheWaitShrinksAsTimePassesAndAMessageIsTakenOnceItIsOver()
    {
        var time = new ManualTime();
        var bucket = new MessageTokenBucket(s_limits, time);
        Drain(bucket);

        time.Advance(TimeSpan.FromSeconds(1.5));
        var early = bucket.TryTake(out var retryAfter);
        time.Advance(TimeSpan.FromSeconds(0.5));
        var onTime = bucket.TryTake(out _);
        var again = bucket.TryTake(out var nextRetryAfter);

        Assert.False(early);
        Assert.Equal(TimeSpan.FromSeconds(0.5), retryAfter);
        Assert.True(onTime);
        Assert.False(again);
        Assert.Equal(TimeSpan.FromSeconds(2), nextRetryAfter);
    }

    [Fact]
    public void ALongSilenceRefillsTheBurstAndNoMore()
    {
        var time = new ManualTime();
        var bucket = new MessageTokenBucket(s_limits, time);
        Drain(bucket);

        time.Advance(TimeSpan.FromHours(1));
        var taken = 0;
        while (bucket.TryTake(out _))
        {
            taken++;
        }

        Assert.Equal(3, taken);
    }

    [Fact]
    public void RefusedMessagesDoNotCountAgainstTheClient()
    {
        var time = new ManualTime();
        var bucket = new MessageTokenBucket(s_limits, time);
        Drain(bucket);

        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(0.1));
            Assert.False(bucket.TryTake(out _));
        }

        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(bucket.TryTake(out _), "Two seconds passed since the bucket emptied: one message is due.");
    }

    private static void Drain(MessageTokenBucket bucket)
    {
        while (bucket.TryTake(out _))
        {
        }
    }

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}

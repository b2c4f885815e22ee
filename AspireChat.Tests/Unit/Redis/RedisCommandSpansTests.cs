using System.Diagnostics;
using AspireChat.ChatApi.Redis;

namespace AspireChat.Tests.Unit.Redis;

/// <summary>
/// The stand-in span that summarised Redis work runs under, and the processor that leaves the command spans made under
/// it out of the export. Spans come from sources named as the real ones, with a listener that records everything, as
/// Aspire's always_on sampler does.
/// </summary>
public sealed class RedisCommandSpansTests : IDisposable
{
    private const string ReplySource = "AspireChat.Tests.RedisCommandSpans";
    private static readonly ActivitySource s_reply = new(ReplySource);
    private static readonly ActivitySource s_redis = new(RedisCommandSpans.InstrumentationSource);
    // By name: the sources may be made while the listener is being added (their static fields not yet set).
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name is ReplySource or RedisCommandSpans.InstrumentationSource,
        Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public RedisCommandSpansTests() => ActivitySource.AddActivityListener(_listener);

    [Fact]
    public async Task TheWorkRunsUnderAStandInOfTheCurrentSpanWhichIsCurrentAgainOnceTheWorkIsStarted()
    {
        using var reply = s_reply.StartActivity("reply")!;
        Activity? seen = null;
        var release = new TaskCompletionSource();

        var work = RedisCommandSpans.Summarised(async () =>
        {
            seen = Activity.Current;
            await release.Task;
            Assert.Same(seen, Activity.Current);
        });

        Assert.Same(reply, Activity.Current);
        Assert.NotNull(seen);
        Assert.NotSame(reply, seen);
        Assert.Equal(reply.TraceId, seen.TraceId);
        Assert.Equal(reply.SpanId, seen.ParentSpanId);
        Assert.False(seen.Recorded, "The stand-in is recorded.");
        Assert.Equal(RedisCommandSpans.TraceState, seen.TraceStateString);
        Assert.False(seen.IsStopped, "The stand-in stopped before the work ended.");

        release.SetResult();
        await work;
        // The instrumentation keeps a profiling session per span until that span has a duration.
        Assert.True(seen.IsStopped, "The stand-in is still running after the work ended.");
        Assert.NotEqual(TimeSpan.Zero, seen.Duration);
    }

    [Fact]
    public async Task TheStandInStopsAndTheFailureComesThroughWhenTheWorkFails()
    {
        using var reply = s_reply.StartActivity("reply")!;
        Activity? seen = null;

        var work = RedisCommandSpans.Summarised(async () =>
        {
            seen = Activity.Current;
            await Task.Yield();
            throw new InvalidOperationException("broken");
        });

        Assert.Same(reply, Activity.Current);
        await Assert.ThrowsAsync<InvalidOperationException>(() => work);
        Assert.True(seen!.IsStopped);
    }

    [Fact]
    public void AStartThatThrowsStopsTheStandInAndLeavesTheCallersSpanCurrent()
    {
        using var reply = s_reply.StartActivity("reply")!;
        Activity? seen = null;

        // Thrown by the start itself, before any task exists.
        Assert.Throws<InvalidOperationException>(() =>
        {
            _ = RedisCommandSpans.Summarised(() =>
            {
                seen = Activity.Current;
                throw new InvalidOperationException("no start");
            });
        });

        Assert.Same(reply, Activity.Current);
        Assert.True(seen!.IsStopped);
    }

    [Fact]
    public async Task WithNoCurrentSpanTheWorkStillRunsUnderAStandInAndNothingIsCurrentAfter()
    {
        Activity.Current = null;
        Activity? seen = null;

        await RedisCommandSpans.Summarised(() =>
        {
            seen = Activity.Current;
            return Task.CompletedTask;
        });

        Assert.Null(Activity.Current);
        Assert.Equal(RedisCommandSpans.TraceState, seen?.TraceStateString);
    }

    [Fact]
    public async Task TheProcessorUnrecordsOnlyTheRedisCommandSpansMadeUnderAStandIn()
    {
        using var reply = s_reply.StartActivity("reply")!;
        var processor = new SummarisedRedisCommandsProcessor();
        Activity? standIn = null;
        var release = new TaskCompletionSource();
        var work = RedisCommandSpans.Summarised(async () =>
        {
            standIn = Activity.Current;
            await release.Task;
        });

        // As the instrumentation makes them, later, on its own thread: from the context of the span they were sent under.
        var summarised = Command(standIn!.Context);
        var ownCommand = Command(reply.Context);
        using var otherSource = s_reply.StartActivity(ActivityKind.Internal, standIn.Context, name: "not a command")!;
        otherSource.Stop();
        foreach (var span in new[] { summarised, ownCommand, otherSource })
        {
            processor.OnEnd(span);
        }

        Assert.False(summarised.Recorded, "A command sent under the stand-in is still recorded.");
        Assert.True(ownCommand.Recorded, "A command sent under the reply was unrecorded.");
        Assert.True(otherSource.Recorded, "A span of another source was unrecorded.");
        release.SetResult();
        await work;
    }

    public void Dispose() => _listener.Dispose();

    private static Activity Command(ActivityContext sentUnder)
    {
        var span = s_redis.StartActivity("EVALSHA", ActivityKind.Client, sentUnder)!;
        span.Stop();
        return span;
    }
}

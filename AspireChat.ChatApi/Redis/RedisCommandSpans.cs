using System.Diagnostics;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// Which Redis commands are spans. Aspire's Redis client makes a span of every command (OpenTelemetry's
/// StackExchange.Redis instrumentation, vendored in Aspire.StackExchange.Redis): StackExchange.Redis profiles each
/// command into a session chosen by the span current when it was sent, and every 10 s the instrumentation turns the
/// sessions into spans under those spans. A reply stores its frames a batch at a time and renews its leases while it
/// streams, so its trace grew with its length (a 70-chunk reply was 83 spans). Work started through
/// <see cref="Summarised"/> sends its commands under a stand-in for the current span: never exported itself, it marks
/// the command spans made under it (through their inherited tracestate) for <see cref="SummarisedRedisCommandsProcessor"/>
/// to drop before the exporter sees them. The work's owner sums it up on its own span instead.
/// </summary>
/// <remarks>
/// The instrumentation's own <c>Filter</c> would be the natural place, but Aspire 13.6 keeps its options internal; and
/// a sampler cannot be relied on to drop them, since Aspire runs services with <c>OTEL_TRACES_SAMPLER=always_on</c>.
/// </remarks>
internal static class RedisCommandSpans
{
    /// <summary>The ActivitySource of the command spans (Aspire.StackExchange.Redis's copy of OpenTelemetry's instrumentation).</summary>
    public const string InstrumentationSource = "OpenTelemetry.Instrumentation.StackExchangeRedis";

    /// <summary>The tracestate member of the stand-in, which every command span made under it inherits.</summary>
    public const string TraceState = "aspirechat=summarised";

    private const string StandInName = "aspirechat.redis.summarised";

    /// <summary>
    /// Runs <paramref name="start"/> (which starts the work and returns its task) with the stand-in current, so the
    /// commands it and the tasks it starts send are summarised; the caller's current span is left as it was. The
    /// returned task completes with the work, once the stand-in is stopped: the instrumentation keeps a session per
    /// span until that span has ended.
    /// </summary>
    public static Task Summarised(Func<Task> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var caller = Activity.Current;
        // Made by hand, from no ActivitySource: no listener samples or exports it, whatever the sampler.
        var standIn = new Activity(StandInName);
        standIn.SetParentId(caller?.TraceId ?? ActivityTraceId.CreateRandom(), caller?.SpanId ?? ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        standIn.TraceStateString = TraceState;
        standIn.Start();
        Task work;
        try
        {
            work = start();
        }
        catch
        {
            standIn.Stop();
            throw;
        }
        finally
        {
            Activity.Current = caller;
        }

        return StopWhenDoneAsync(work, standIn);
    }

    /// <summary>Whether a finished command span was made under a stand-in.</summary>
    public static bool IsSummarised(Activity span) =>
        span.Source.Name == InstrumentationSource && span.TraceStateString == TraceState;

    private static async Task StopWhenDoneAsync(Task work, Activity standIn)
    {
        try
        {
            await work;
        }
        finally
        {
            standIn.Stop();
        }
    }
}

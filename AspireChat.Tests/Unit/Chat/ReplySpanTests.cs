using System.Diagnostics;
using AspireChat.ChatApi.Replies;

namespace AspireChat.Tests.Unit.Chat;

/// <summary>Where a reply's span sits: under the client's traceparent, linked to the socket that carried the message.</summary>
public sealed class ReplySpanTests
{
    private static readonly ActivityContext Browser = ActivityContext.Parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null);
    private static readonly ActivityContext Socket = new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);

    [Fact]
    public void AReplyOverASocketIsTheBrowsersChildAndLinksToTheSocketsSpan()
    {
        using var listener = Listen();

        using var reply = ReplyTelemetry.StartReply(Traceparent(Browser), Socket);

        Assert.NotNull(reply);
        Assert.Equal("reply", reply.DisplayName);
        Assert.Equal(Browser.TraceId, reply.TraceId);
        Assert.Equal(Browser.SpanId, reply.ParentSpanId);
        Assert.Equal(Socket, Assert.Single(reply.Links).Context);
    }

    [Fact]
    public void AReplyUnderItsOwnRequestSpanHasNoLinkToIt()
    {
        using var listener = Listen();

        // The HTTP fallback: the request's span is both the parent and the carrier.
        using var reply = ReplyTelemetry.StartReply(Traceparent(Browser), Browser);

        Assert.NotNull(reply);
        Assert.Equal(Browser.SpanId, reply.ParentSpanId);
        Assert.Empty(reply.Links);
    }

    [Fact]
    public void AReplyBeginsWhenItsMessageArrivedNotWhenAThreadTookItUp()
    {
        using var listener = Listen();
        var receivedAt = DateTimeOffset.UtcNow.AddMilliseconds(-400);

        using var reply = ReplyTelemetry.StartReply(Traceparent(Browser), Socket, receivedAt);
        using var unstamped = ReplyTelemetry.StartReply(Traceparent(Browser), Socket);

        Assert.NotNull(reply);
        Assert.Equal(receivedAt.UtcDateTime, reply.StartTimeUtc);
        Assert.NotNull(unstamped);
        Assert.True(unstamped.StartTimeUtc > receivedAt.UtcDateTime.AddMilliseconds(300), "Without a time of arrival the span begins now.");
    }

    [Fact]
    public void AReplyWithNoTraceparentStartsItsOwnTrace()
    {
        using var listener = Listen();

        using var reply = ReplyTelemetry.StartReply(traceparent: null, Socket);

        Assert.NotNull(reply);
        Assert.NotEqual(Socket.TraceId, reply.TraceId);
        Assert.Equal(default, reply.ParentSpanId);
        Assert.Equal(Socket, Assert.Single(reply.Links).Context);
    }

    private static string Traceparent(ActivityContext context) => $"00-{context.TraceId}-{context.SpanId}-01";

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ReplyTelemetry.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}

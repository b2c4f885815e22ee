using System.Diagnostics;
using System.Text;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using AspireChat.ChatApi.Replies;
using AspireChat.Tests.Fakes;
using AspireChat.Tests.Fixtures;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// The reply span's summary of how its frames were stored in Redis (<c>aspirechat.reply.store.*</c>), against a real
/// redis-server, with the batches made one frame each by waiting for each frame to be stored before the next.
/// </summary>
public sealed class ReplyStoreSummaryTests : IDisposable
{
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == ReplyTelemetry.SourceName,
        Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public ReplyStoreSummaryTests() => ActivitySource.AddActivityListener(_listener);

    [Fact]
    public async Task TheReplySpanCountsEveryAppendFrameAndByteTheStreamHolds()
    {
        await using var server = await RedisServer.StartAsync();
        await using var redis = TestRedis.Connect(server.ConnectionString);
        await using var chat = new ChatHarness(redis: redis);
        var (reply, observer) = chat.Send("Hello");
        await TestRedis.WaitUntilAsync(() => reply.ConversationId is not null, "The reply should start.");
        var stream = RedisKeys.ReplyStream(reply.ConversationId!, reply.MessageId);
        await TestRedis.StreamHoldsAsync(redis, stream, 1);
        var replySpan = SpanOf(reply);

        string[] tokens = ["One", " frame", " at", " a", " time."];
        for (var i = 0; i < tokens.Length; i++)
        {
            chat.Model.Say(tokens[i]);
            await TestRedis.StreamHoldsAsync(redis, stream, i + 2);
        }

        chat.Model.Finish();
        chat.Model.End();
        await observer.UntilEndAsync();
        var span = await EndedAsync(replySpan);
        var frames = await FramesAsync(redis, stream);

        // The start, five chunks, the end: each its own append.
        Assert.Equal(tokens.Length + 2, frames.Count);
        Assert.Equal(frames.Count, span.GetTagItem("aspirechat.reply.store.appends"));
        Assert.Equal(frames.Count, span.GetTagItem("aspirechat.reply.store.frames"));
        Assert.Equal(frames.Sum(frame => (long)Encoding.UTF8.GetByteCount(frame) + 1), span.GetTagItem("aspirechat.reply.store.bytes"));
        Assert.InRange(Assert.IsType<double>(span.GetTagItem("aspirechat.reply.store.slowest_append")), double.Epsilon, span.Duration.TotalSeconds);
        Assert.Equal(0, span.GetTagItem("aspirechat.reply.store.failed_appends"));
    }

    [Fact]
    public async Task ARedisThatRestartsEmptyMidReplyCountsTheFailedAppendsAndTheFramesSentAgain()
    {
        await using var server = await RedisServer.StartAsync();
        await using var redis = TestRedis.Connect(server.ConnectionString, timeoutMilliseconds: 1000);
        await using var chat = new ChatHarness(redis: redis);
        var (reply, observer) = chat.Send("Hello");
        await TestRedis.WaitUntilAsync(() => reply.ConversationId is not null, "The reply should start.");
        var stream = RedisKeys.ReplyStream(reply.ConversationId!, reply.MessageId);
        chat.Model.Say("Before");
        await TestRedis.StreamHoldsAsync(redis, stream, 2);
        var replySpan = SpanOf(reply);

        // Gone while a chunk waits to be stored, back empty (nothing was saved to disk).
        await server.StopAsync();
        chat.Model.Say(" during");
        await TestRedis.WaitUntilAsync(() => reply.Seq == 2, "The second chunk was not streamed.", TimeSpan.FromSeconds(5));
        await Task.Delay(TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken);
        await server.StartAsync();
        await TestRedis.EventuallyAsync(() => redis.GetDatabase().PingAsync(), TimeSpan.FromSeconds(15));
        chat.Model.Say(" after.");
        chat.Model.Finish();
        chat.Model.End();
        await observer.UntilEndAsync(TimeSpan.FromSeconds(30));
        var span = await EndedAsync(replySpan, TimeSpan.FromSeconds(30));
        var frames = await FramesAsync(redis, stream);

        // The stream is whole again: the two frames stored before the restart were sent again with the rest.
        Assert.Equal(5, frames.Count);
        Assert.Equal(2 + frames.Count, span.GetTagItem("aspirechat.reply.store.frames"));
        Assert.True(span.GetTagItem("aspirechat.reply.store.failed_appends") is int failed && failed >= 1, $"failed_appends: {span.GetTagItem("aspirechat.reply.store.failed_appends")}");
        Assert.True(span.GetTagItem("aspirechat.reply.store.appends") is int appends && appends >= 2, $"appends: {span.GetTagItem("aspirechat.reply.store.appends")}");
    }

    public void Dispose() => _listener.Dispose();

    private static async Task<List<string>> FramesAsync(ConnectionMultiplexer redis, string stream) =>
        [.. (await redis.GetDatabase().StreamRangeAsync(stream)).Select(entry => (string)entry["frame"]!)];

    /// <summary>The reply's span, taken while it streams: the reply lets go of it at its end.</summary>
    private static Activity SpanOf(LiveReply reply) => reply.Activity ?? throw new InvalidOperationException("The streaming reply has no span.");

    /// <summary>The reply span, once it has ended: after the publisher stored the end and summed itself up.</summary>
    private static async Task<Activity> EndedAsync(Activity span, TimeSpan? within = null)
    {
        await TestRedis.WaitUntilAsync(() => span.IsStopped, "The reply span never ended.", within ?? TimeSpan.FromSeconds(10));
        Assert.Equal(FinishReasons.Stop, span.GetTagItem(ReplyTelemetry.Attributes.FinishReason));
        return span;
    }
}

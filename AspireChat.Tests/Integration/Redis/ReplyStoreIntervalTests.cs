using System.Diagnostics;
using AspireChat.ChatApi;
using AspireChat.ChatApi.Redis;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Replies.Redis;
using AspireChat.Tests.Fakes;
using AspireChat.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// <see cref="ReplyOptions.StoreInterval"/>: a reply's frames are stored (and published to other instances) at most
/// once per interval, while the producer's own clients get each frame at once; against a real redis-server.
/// </summary>
public sealed class ReplyStoreIntervalTests : IDisposable
{
    private static readonly string[] s_tokens = ["Paced", " tokens", " share", " one", " store."];

    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == ReplyTelemetry.SourceName,
        Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public ReplyStoreIntervalTests() => ActivitySource.AddActivityListener(_listener);

    [Fact]
    public async Task FramesWithinOneIntervalAreStoredAndPublishedTogetherAfterTheProducersClientsHaveThem()
    {
        // Long enough that a slow machine still says every token before the tick.
        var interval = TimeSpan.FromSeconds(4);
        await using var server = await RedisServer.StartAsync();
        await using var redis = TestRedis.Connect(server.ConnectionString);
        await using var chat = new ChatHarness(redis: redis, replies: options => options.StoreInterval = interval);
        var (reply, observer) = chat.Send("Hello");
        await TestRedis.WaitUntilAsync(() => reply.ConversationId is not null, "The reply should start.");
        var stream = RedisKeys.ReplyStream(reply.ConversationId!, reply.MessageId);
        // The start is the first frame after a quiet spell: stored at once.
        await StoredAsync(redis, stream, 1);
        var published = await SubscribeAsync(redis, reply.ConversationId!);
        var replySpan = reply.Activity ?? throw new InvalidOperationException("The streaming reply has no span.");

        foreach (var token in s_tokens)
        {
            chat.Model.Say(token);
            await Task.Delay(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken);
        }

        chat.Model.Finish();
        chat.Model.End();
        await observer.UntilEndAsync();

        // The producer's client has the whole reply; Redis holds the start alone until the tick.
        Assert.Equal(string.Concat(s_tokens), reply.Text);
        Assert.Equal(1, await redis.GetDatabase().StreamLengthAsync(stream));
        Assert.Empty(Snapshot(published));

        await TestRedis.WaitUntilAsync(() => replySpan.IsStopped, "The reply span never ended.", interval * 3);
        await TestRedis.WaitUntilAsync(() => Snapshot(published).Length > 0, "Nothing was published after the tick.");
        // The start, then the five chunks and the end in one script and one message (two lines a frame: its number, its JSON).
        Assert.Equal(s_tokens.Length + 2, await redis.GetDatabase().StreamLengthAsync(stream));
        Assert.Equal(2, replySpan.GetTagItem("aspirechat.reply.store.appends"));
        Assert.Equal(s_tokens.Length + 2, replySpan.GetTagItem("aspirechat.reply.store.frames"));
        var message = Assert.Single(Snapshot(published));
        Assert.Equal((s_tokens.Length + 1) * 2, message.Split('\n').Length);
    }

    [Fact]
    public async Task WithoutAnIntervalEachFrameIsStoredAsSoonAsThePreviousStoreIsDone()
    {
        await using var server = await RedisServer.StartAsync();
        await using var redis = TestRedis.Connect(server.ConnectionString);
        await using var chat = new ChatHarness(redis: redis, replies: options => options.StoreInterval = TimeSpan.Zero);
        var (reply, observer) = chat.Send("Hello");
        await TestRedis.WaitUntilAsync(() => reply.ConversationId is not null, "The reply should start.");
        var stream = RedisKeys.ReplyStream(reply.ConversationId!, reply.MessageId);
        await StoredAsync(redis, stream, 1);
        var replySpan = reply.Activity ?? throw new InvalidOperationException("The streaming reply has no span.");

        // The same paced tokens: with nothing holding them, each is stored long before the next is said.
        for (var i = 0; i < s_tokens.Length; i++)
        {
            chat.Model.Say(s_tokens[i]);
            await StoredAsync(redis, stream, i + 2);
        }

        chat.Model.Finish();
        chat.Model.End();
        await observer.UntilEndAsync();
        await TestRedis.WaitUntilAsync(() => replySpan.IsStopped, "The reply span never ended.", TimeSpan.FromSeconds(10));

        Assert.Equal(s_tokens.Length + 2, replySpan.GetTagItem("aspirechat.reply.store.appends"));
    }

    [Theory]
    [InlineData("-00:00:00.010")]
    [InlineData("00:00:02")]
    [InlineData("fifty")]
    public void AStoreIntervalOutsideZeroToOneSecondStopsTheStart(string value)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Replies:StoreInterval"] = value;
        builder.AddChatServices();
        using var app = builder.Build();

        var error = Record.Exception(() => app.StartAsync(TestContext.Current.CancellationToken).GetAwaiter().GetResult());

        // A number out of range fails the validation; a word fails the binding. Either names the setting.
        Assert.True(error is OptionsValidationException or InvalidOperationException, $"Unexpected: {error}");
        Assert.Contains("StoreInterval", error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>What the conversation's channel carries from now on (a watcher on another instance reads the same).</summary>
    private static async Task<List<string>> SubscribeAsync(ConnectionMultiplexer redis, string conversationId)
    {
        var messages = new List<string>();
        var channel = new RedisConversationChannels(redis, Options.Create(new ReplyOptions())).Of(conversationId);
        await redis.GetSubscriber().SubscribeAsync(channel, (_, message) =>
        {
            lock (messages)
            {
                messages.Add((string)message!);
            }
        });
        return messages;
    }

    private static string[] Snapshot(List<string> messages)
    {
        lock (messages)
        {
            return [.. messages];
        }
    }

    private static Task StoredAsync(ConnectionMultiplexer redis, string stream, long frames) =>
        TestRedis.WaitUntilAsync(() => redis.GetDatabase().StreamLength(stream) >= frames, $"The stream never held {frames} frames.", TimeSpan.FromSeconds(10));
}

using System.Threading.Channels;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Replies.Redis;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// Replies:PubSub on this Redis 7.0: Auto and Sharded carry a conversation's frames with SPUBLISH (from the store script,
/// on the conversation's slot) to sharded subscribers only; Classic with PUBLISH to classic subscribers only.
/// </summary>
public sealed class RedisConversationChannelsTests(SharedRedis redisServers) : IClassFixture<SharedRedis>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static IEnumerable<ITheoryDataRow> Modes =>
        from topology in Enum.GetValues<RedisTopology>()
        from mode in Enum.GetValues<ReplyPubSub>()
        select RedisTopologies.Row(topology, topology, mode);

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task TheStoreScriptPublishesAConversationsFramesOnItsChannelOfTheModeOnly(RedisTopology topology, ReplyPubSub mode)
    {
        await using var redis = TestRedis.Connect(await redisServers.ConnectionStringAsync(topology));
        var channels = new RedisConversationChannels(redis, Options.Create(new ReplyOptions { PubSub = mode }));
        var conversationId = ConversationIds.New();
        var (sharded, classic) = (Channel.CreateUnbounded<string>(), Channel.CreateUnbounded<string>());
        var subscriber = redis.GetSubscriber();
        // A queue per channel, not a handler: StackExchange.Redis runs handlers concurrently, so a handler may see the
        // marker below before the frame published ahead of it; a queue keeps the order Redis sent them in.
        (await subscriber.SubscribeAsync(RedisChannel.Sharded(RedisKeys.ConversationChannel(conversationId)))).OnMessage(m => sharded.Writer.TryWrite(m.Message!));
        (await subscriber.SubscribeAsync(RedisChannel.Literal(RedisKeys.ConversationChannel(conversationId)))).OnMessage(m => classic.Writer.TryWrite(m.Message!));

        var end = RedisReplyBatch.Of([(new EndFrame(conversationId, "m", null, FinishReasons.Stop, null), 0L)], from: 0);
        await redis.GetDatabase().ScriptEvaluateAsync(RedisReplyScripts.Store, new StoreParameters(
            RedisKeys.ReplyStream(conversationId, "m"), RedisKeys.ConversationLease(conversationId), RedisKeys.ReplyProducer(conversationId, "m"),
            RedisKeys.ConversationChannel(conversationId), channels.PublishCommand, "m", RedisReplyFormat.NoOrigin, 1, end.Frames, end.Seqs, 1000));
        // Then a marker on each kind of channel, from the same node after the script: once both are in, whatever the
        // script published has arrived.
        await redis.GetDatabase().ScriptEvaluateAsync(
            "redis.call('SPUBLISH', ARGV[1], 'marker'); redis.call('PUBLISH', ARGV[1], 'marker')",
            [RedisKeys.ReplyStream(conversationId, "m")], [RedisKeys.ConversationChannel(conversationId)]);
        var got = (Sharded: await UntilMarkerAsync(sharded), Classic: await UntilMarkerAsync(classic));

        var expectSharded = mode != ReplyPubSub.Classic;
        Assert.Equal(expectSharded, channels.AreSharded);
        Assert.Equal(expectSharded ? "SPUBLISH" : "PUBLISH", channels.PublishCommand);
        var (carried, silent) = expectSharded ? (got.Sharded, got.Classic) : (got.Classic, got.Sharded);
        var envelope = Assert.Single(carried.SelectMany(m => RedisReplyFormat.ParseEnvelopes(System.Text.Encoding.UTF8.GetBytes(m))));
        Assert.Equal(conversationId, Assert.IsType<EndFrame>(envelope.Frame).ConversationId);
        Assert.Empty(silent);
    }

    private static async Task<List<string>> UntilMarkerAsync(Channel<string> channel)
    {
        List<string> before = [];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (await channel.Reader.ReadAsync(timeout.Token) is var message && message != "marker")
        {
            before.Add(message);
        }

        return before;
    }
}

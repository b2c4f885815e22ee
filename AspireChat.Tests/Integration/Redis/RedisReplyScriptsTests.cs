using System.Threading.Channels;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies.Redis;
using AspireChat.Tests.Fixtures;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>The reply scripts on a real redis-server: what a batch stores, what it publishes, and what it releases.</summary>
public sealed class RedisReplyScriptsTests(SharedRedis redisServers) : IClassFixture<SharedRedis>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ABatchIsStoredFrameByFrameAndPublishedAsOneMessageThatParsesBackInOrder()
    {
        await using var redis = TestRedis.Connect(await redisServers.ConnectionStringAsync(RedisTopology.SingleNode));
        var (stream, lease, producer, channel) = (TestRedis.Key("stream"), TestRedis.Key("lease"), TestRedis.Key("producer"), TestRedis.Key("channel"));
        var published = Channel.CreateUnbounded<byte[]>();
        // A queue, not a handler: StackExchange.Redis runs handlers concurrently, and the two messages are read in order.
        (await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel))).OnMessage(m => published.Writer.TryWrite(m.Message!));
        ServerFrame[] first =
        [
            new StartFrame("c", "m", "u", "model"),
            new ChunkFrame("c", "m", 1, "line one\nline two\r\n"),
            new ChunkFrame("c", "m", 2, "😀 \"quoted\" 3 m tab\t %d+ [^\n]"),
        ];
        var user = new ConversationMessage("u", MessageRoles.User, "Hi", DateTimeOffset.UnixEpoch);
        var echo = new UserFrame("c", "u", "m", "Hi");

        var batch = RedisReplyBatch.Of([.. first.Zip([0L, 1L, 2L])], from: 0);
        await redis.GetDatabase().ScriptEvaluateAsync(RedisReplyScripts.Store, new StoreParameters(
            stream, lease, producer, channel, "PUBLISH", "m", "tab-1", 1, batch.Frames, batch.Seqs, 1000,
            StreamMs: 60_000, ProducerMs: 6_000, Owner: "owner", User: RedisReplyFormat.UserJson(user), Echo: RedisReplyFormat.Json(echo)));
        var end = new EndFrame("c", "m", "u", FinishReasons.Stop, null);
        var second = RedisReplyBatch.Of([(end, 2L)], from: 0);
        await redis.GetDatabase().ScriptEvaluateAsync(RedisReplyScripts.Store, new StoreParameters(stream, lease, producer, channel, "PUBLISH", "m", "tab-1", 4, second.Frames, second.Seqs, 1000));

        var messages = new[] { await published.Reader.ReadAsync(Token), await published.Reader.ReadAsync(Token) };
        var envelopes = messages.SelectMany(m => RedisReplyFormat.ParseEnvelopes(m)).ToList();
        Assert.Equal([echo, .. first, end], envelopes.Select(e => e.Frame));
        Assert.Equal([0L, 1L, 2L, 3L, 4L], envelopes.Select(e => e.FrameNumber));
        Assert.All(envelopes, e => Assert.Equal(("m", "tab-1"), (e.MessageId, e.Origin)));
        var stored = (await redis.GetDatabase().StreamRangeAsync(stream)).Select(RedisReplyFormat.Parse).ToList();
        Assert.Equal([.. first, end], stored.Select(s => s.Frame));
        Assert.Equal([0L, 1L, 2L, 2L], stored.Select(s => s.Seq));
        Assert.Equal(("owner", user, "tab-1"), (stored[0].OwnerId, stored[0].UserMessage, stored[0].Origin));
        Assert.All(stored.Skip(1), s => Assert.Null(s.OwnerId));
        Assert.InRange((await redis.GetDatabase().KeyTimeToLiveAsync(stream))!.Value, TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(60));
        Assert.True(await redis.GetDatabase().KeyExistsAsync(producer));
    }

    [Fact]
    public async Task AFinalizersBatchReleasesTheConversationOnlyWhileTheDeadReplyHoldsIt()
    {
        await using var redis = TestRedis.Connect(await redisServers.ConnectionStringAsync(RedisTopology.SingleNode));
        var database = redis.GetDatabase();
        var (lease, otherLease) = (TestRedis.Key("lease"), TestRedis.Key("other-lease"));
        await database.StringSetAsync(lease, "dead");
        await database.StringSetAsync(otherLease, "newer");
        var end = RedisReplyBatch.Of([(new EndFrame("c", "dead", null, FinishReasons.Interrupted, null), 0L)], from: 0);

        foreach (var key in new[] { lease, otherLease })
        {
            await database.ScriptEvaluateAsync(RedisReplyScripts.Store, new StoreParameters(
                TestRedis.Key("stream"), key, TestRedis.Key("producer"), TestRedis.Key("channel"), "PUBLISH", "dead", RedisReplyFormat.NoOrigin, 1, end.Frames, end.Seqs, 1000, Release: "dead"));
        }

        Assert.False(await database.KeyExistsAsync(lease));
        Assert.Equal("newer", await database.StringGetAsync(otherLease));
    }
}

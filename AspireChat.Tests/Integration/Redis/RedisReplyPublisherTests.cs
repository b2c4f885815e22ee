using System.Collections.Concurrent;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fakes;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// The producer's side of a reply in Redis, on a real redis-server and a Redis Cluster. A reply hands each frame to
/// its observers under its lock (LiveReply), so the publisher may only queue it: a store sent on the thread handing
/// the frame over would hold the model and every other client of the reply for a round trip to Redis, and one
/// finishing inline there once stalled every stream of a benchmark (bench/findings.md, issue 18's fifth look).
/// </summary>
public sealed class RedisReplyPublisherTests(SharedRedis redisServers) : IClassFixture<SharedRedis>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory, RedisTopologies]
    public async Task ItStoresAReplyFromItsOwnLoopNeverOnTheThreadThatHandsItAFrame(RedisTopology topology)
    {
        await using var redis = TestRedis.Connect(await redisServers.ConnectionStringAsync(topology));
        var watched = FailOnceRedis.Wrap(redis);
        var calledWhileHandingOver = new ConcurrentQueue<string>();
        watched.BeforeEvery(method =>
        {
            if (ReplyHandOver.IsUnderWay)
            {
                calledWhileHandingOver.Enqueue(method.Name);
            }
        });
        await using var chat = new ChatHarness(redis: watched.Multiplexer);
        using var turn = new ChatTurn(new ChatTurnRequest(ChatHarness.Owner, "Count.", null, "client-1", null), DateTimeOffset.UtcNow);
        var user = new ConversationMessage(ConversationIds.New(), MessageRoles.User, "Count.", DateTimeOffset.UtcNow);
        var stream = RedisKeys.ReplyStream(turn.ConversationId, turn.Reply.MessageId);
        var published = chat.Broker.PublishAsync(turn, user);

        ReplyHandOver.Run(() => turn.Reply.Start(turn.ConversationId, "model", user.Id));
        for (var i = 0; i < 20; i++)
        {
            ReplyHandOver.Run(() => turn.Reply.Append($"t{i} "));
            // The store loop waits for the next frame, where a continuation run synchronously would run it on this thread.
            await TestRedis.StreamHoldsAsync(redis, stream, i + 2);
        }

        ReplyHandOver.Run(() => turn.Reply.End(FinishReasons.Stop, null));
        await published.WaitAsync(TimeSpan.FromSeconds(10), Token);

        Assert.Empty(calledWhileHandingOver);
        Assert.Equal(22, await redis.GetDatabase().StreamLengthAsync(stream));
    }
}

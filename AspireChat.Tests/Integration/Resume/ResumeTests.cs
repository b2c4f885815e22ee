using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using AspireChat.ChatApi.Replies;
using AspireChat.Tests.Fakes;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Integration.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Resume;

/// <summary>
/// Resume against the reply broker in process: the in-memory broker, and the Redis broker on a real
/// redis-server and on a Redis Cluster. The same behaviour is asserted of all.
/// </summary>
public sealed class ResumeTests(SharedRedis redisServers) : IClassFixture<SharedRedis>, IAsyncDisposable
{
    private readonly List<ConnectionMultiplexer> _clients = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>
    /// "memory", "redis" (one node) and "redis-cluster", their channels sharded (Replies:PubSub's Auto, on this Redis 7);
    /// and both Redis ones with classic pub/sub, as on a Redis before 7.
    /// </summary>
    public static IEnumerable<ITheoryDataRow> Brokers =>
    [
        new TheoryDataRow("memory"),
        RedisTopologies.Row(RedisTopology.SingleNode, "redis"),
        RedisTopologies.Row(RedisTopology.Cluster, "redis-cluster"),
        RedisTopologies.Row(RedisTopology.SingleNode, "redis-classic"),
        RedisTopologies.Row(RedisTopology.Cluster, "redis-cluster-classic"),
    ];

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task ReconnectingAtRandomPointsHundredsOfTimesNeverLosesNorRepeatsAChunk(string kind)
    {
        await using var chat = await HarnessAsync(kind);
        var tokens = Enumerable.Range(0, 900).Select(i => $"t{i} ").ToList();
        var (reply, first) = chat.Send("Count for me.");
        var start = await first.NextAsync<StartFrame>();

        var producing = Task.Run(async () =>
        {
            foreach (var token in tokens)
            {
                chat.Model.Say(token);
                await Task.Delay(TimeSpan.FromTicks(2_000), Token);
            }

            chat.Model.Finish();
            chat.Model.End();
        }, Token);
        var watcher = new ReconnectingWatcher(chat.Broker, ChatHarness.Owner, start.ConversationId, start.MessageId, new Random(kind.Length));
        var end = await watcher.FollowAsync(reconnectChance: 0.3, Token);
        await producing;

        Assert.Equal(FinishReasons.Stop, end.FinishReason);
        Assert.Equal(string.Concat(tokens), watcher.Text);
        Assert.True(watcher.Reconnects >= 200, $"Only {watcher.Reconnects} reconnects happened.");
        // A reply resumed after its end replays exactly what was missed, then the end.
        var late = new ReconnectingWatcher(chat.Broker, ChatHarness.Owner, start.ConversationId, start.MessageId, new Random(1));
        Assert.Equal(FinishReasons.Stop, (await late.FollowAsync(reconnectChance: 0.05, Token)).FinishReason);
        Assert.Equal(string.Concat(tokens), late.Text);
        Assert.Equal(reply.Seq, late.LastSeq);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task ResumeWithAFutureSeqAnUnknownReplyOrAnotherOwnersConversationIsRefusedWithoutData(string kind)
    {
        await using var chat = await HarnessAsync(kind);
        chat.Model.Say("secret ", "text");
        chat.Model.End();
        var (_, observer) = chat.Send("Mine.");
        var frames = await observer.UntilEndAsync();
        var start = Assert.IsType<StartFrame>(frames[0]);
        // The producer stores the end just after its own clients got it.
        var stored = new ReconnectingWatcher(chat.Broker, ChatHarness.Owner, start.ConversationId, start.MessageId, new Random(0));
        await stored.FollowAsync(reconnectChance: 0, Token);

        async Task<(ErrorFrame? Error, RecordingObserver Seen)> ResumeAsync(string owner, string conversationId, string? messageId, long lastSeq)
        {
            var seen = new RecordingObserver();
            var (watch, error) = await chat.Broker.WatchAsync(new WatchRequest(owner, conversationId, messageId, lastSeq, "x"), seen, Token);
            if (watch is not null)
            {
                await watch.DisposeAsync();
            }

            return (error, seen);
        }

        var future = await ResumeAsync(ChatHarness.Owner, start.ConversationId, start.MessageId, 3);
        var unknown = await ResumeAsync(ChatHarness.Owner, start.ConversationId, ConversationIds.New(), 0);
        var strangerByReply = await ResumeAsync("owner-b", start.ConversationId, start.MessageId, 0);
        var strangerByConversation = await ResumeAsync("owner-b", start.ConversationId, null, 0);
        var wrongConversation = await ResumeAsync(ChatHarness.Owner, ConversationIds.New(), start.MessageId, 0);

        Assert.Equal(ErrorCodes.InvalidSeq, future.Error?.Code);
        Assert.Equal(ErrorCodes.NotFound, unknown.Error?.Code);
        Assert.Equal(ErrorCodes.NotFound, strangerByReply.Error?.Code);
        Assert.Equal(ErrorCodes.NotFound, strangerByConversation.Error?.Code);
        Assert.Equal(ErrorCodes.NotFound, wrongConversation.Error?.Code);
        Assert.Equal(strangerByReply.Error?.Message, unknown.Error?.Message);
        Assert.All([future, unknown, strangerByReply, strangerByConversation, wrongConversation], r => Assert.Empty(r.Seen.All));
        // The right seq still works: the last chunk is 2, so 2 gives the start and the end only.
        var exact = await ResumeAsync(ChatHarness.Owner, start.ConversationId, start.MessageId, 2);
        Assert.Null(exact.Error);
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task ASecondTabWatchingTheConversationSeesTheUserMessageAndTheWholeReplyLive(string kind)
    {
        await using var chat = await HarnessAsync(kind);
        chat.Model.Say("first");
        chat.Model.End();
        var (_, one) = chat.Send("One.");
        var firstStart = Assert.IsType<StartFrame>((await one.UntilEndAsync())[0]);
        var conversationId = firstStart.ConversationId;
        var tab = new RecordingObserver();
        var (watch, error) = await chat.Broker.WatchAsync(new WatchRequest(ChatHarness.Owner, conversationId, null, 0, "tab-2"), tab, Token);
        Assert.Null(error);

        await using (watch)
        {
            chat.Model.Say("Hel", "lo");
            chat.Model.End();
            var (_, sender) = chat.Send("Two.", conversationId, id: "c-2");
            var sent = await sender.UntilEndAsync();
            // Through Redis, the first reply's end may still be on its way to the stream when the tab
            // starts watching: the tab is then replayed that reply first. Nothing of it may come after "Two.".
            ServerFrame next;
            while ((next = await tab.NextAsync<ServerFrame>()) is not UserFrame { Id: "c-2" })
            {
                Assert.Equal(firstStart.MessageId, MessageIdOf(next));
            }

            var user = (UserFrame)next;
            var seen = await tab.UntilEndAsync();

            Assert.Equal(("c-2", "Two."), (user.Id, user.Content));
            Assert.Equal(sent.OfType<StartFrame>().Single().MessageId, user.MessageId);
            Assert.Equal(["Hel", "lo"], seen.OfType<ChunkFrame>().Select(c => c.Content));
            Assert.Equal(sent.OfType<ChunkFrame>().Select(c => c.Seq), seen.OfType<ChunkFrame>().Select(c => c.Seq));
            Assert.IsType<EndFrame>(seen[^1]);
        }

    }

    private static string? MessageIdOf(ServerFrame frame) => frame switch
    {
        UserFrame user => user.MessageId,
        StartFrame start => start.MessageId,
        ChunkFrame chunk => chunk.MessageId,
        EndFrame end => end.MessageId,
        ErrorFrame error => error.MessageId,
        _ => null,
    };

    [Theory, RedisTopologies]
    public async Task AWatchWhoseCatchUpIsCutByRedisGoesOnOnceRedisAnswersAndMissesNothing(RedisTopology topology)
    {
        FailOnceRedis? faulty = null;
        await using var chat = await HarnessAsync(topology, redis => (faulty = FailOnceRedis.Wrap(redis)).Multiplexer);
        chat.Model.Say("one ", "two ");
        var (reply, asker) = chat.Send("Count.");
        var start = await asker.NextAsync<StartFrame>();
        await asker.NextAsync<ChunkFrame>();
        await asker.NextAsync<ChunkFrame>();

        // The watch has replayed the reply so far when the look for the conversation's live reply fails.
        var active = RedisKeys.ConversationLease(start.ConversationId);
        faulty!.FailNext((method, arguments) => method.Name == nameof(IDatabase.StringGetAsync) && arguments[0] is RedisKey key && key == active);
        var tab = new RecordingObserver();
        var (watch, error) = await chat.Broker.WatchAsync(new WatchRequest(ChatHarness.Owner, start.ConversationId, start.MessageId, 0, "tab"), tab, Token);
        Assert.Null(error);
        await using (watch)
        {
            chat.Model.Say("three");
            chat.Model.End();
            var frames = await tab.UntilEndAsync();

            Assert.IsType<StartFrame>(frames[0]);
            Assert.Equal([1L, 2L, 3L], frames.OfType<ChunkFrame>().Select(c => c.Seq));
            Assert.Equal("one two three", string.Concat(frames.OfType<ChunkFrame>().Select(c => c.Content)));
            Assert.Equal(reply.MessageId, Assert.IsType<EndFrame>(frames[^1]).MessageId);
        }
    }

    [Theory, RedisTopologies]
    public async Task AMessageToAConversationStreamingOnAnotherInstanceIsBusyUntilThatReplyEnds(RedisTopology topology)
    {
        await using var first = await HarnessAsync(topology);
        await using var second = await HarnessAsync(topology);
        first.Model.Say("one ");
        var (reply, asker) = first.Send("First.");
        var start = await asker.NextAsync<StartFrame>();
        await asker.NextAsync<ChunkFrame>();

        var (_, refused) = second.Send("Second.", start.ConversationId);
        var busy = await refused.NextAsync<ErrorFrame>();
        first.Model.End();
        await asker.UntilEndAsync();
        second.Model.Say("two");
        second.Model.End();
        // The lease is released before the end goes out: the other instance takes the next message at once.
        var taken = await second.Send("Third.", start.ConversationId).Observer.UntilEndAsync();

        Assert.Equal(ErrorCodes.ConversationBusy, busy.Code);
        Assert.Equal(start.ConversationId, busy.ConversationId);
        Assert.Equal("two", string.Concat(taken.OfType<ChunkFrame>().Select(c => c.Content)));
        Assert.NotEqual(reply.MessageId, taken.OfType<StartFrame>().Single().MessageId);
        var redis = (await ConnectAsync(topology)).GetDatabase();
        Assert.Equal(taken.OfType<StartFrame>().Single().MessageId, await redis.StringGetAsync(RedisKeys.LatestReply(start.ConversationId)));
    }

    [Theory, RedisTopologies]
    public async Task AReplyStreamExpiresOnItsOwnWhileItStreamsAndKeepsTheRetentionOnceEnded(RedisTopology topology)
    {
        await using var chat = await HarnessAsync(topology);
        var redis = (await ConnectAsync(topology)).GetDatabase();
        var retention = new ReplyOptions().Retention;
        chat.Model.Say("one ", "two ");
        var (reply, asker) = chat.Send("Count.");
        await asker.NextAsync<StartFrame>();
        await asker.NextAsync<ChunkFrame>();
        await asker.NextAsync<ChunkFrame>();
        var stream = RedisKeys.ReplyStream(reply.ConversationId!, reply.MessageId);
        await WaitUntilAsync(async () => await redis.StreamLengthAsync(stream) >= 3);

        // Only the batch that creates the stream sets its time to live; the later ones keep it.
        chat.Model.Say("three ");
        await asker.NextAsync<ChunkFrame>();
        await WaitUntilAsync(async () => await redis.StreamLengthAsync(stream) >= 4);
        var whileStreaming = (long)(await redis.KeyTimeToLiveAsync(stream))!.Value.TotalMilliseconds;
        chat.Model.End();
        await asker.UntilEndAsync();
        await WaitUntilAsync(async () => !await redis.KeyExistsAsync(RedisKeys.ReplyProducer(reply.ConversationId!, reply.MessageId)));
        var ended = (long)(await redis.KeyTimeToLiveAsync(stream))!.Value.TotalMilliseconds;

        Assert.True(whileStreaming > retention.TotalMilliseconds, $"While streaming the stream should expire after more than the retention, not in {whileStreaming} ms.");
        Assert.InRange(ended, 1, (long)retention.TotalMilliseconds);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 10 s.");
            await Task.Delay(20, Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    [Theory, RedisTopologies]
    public async Task AClientThatAnswersTheEndTheMomentItArrivesFindsTheConversationFreeInRedis(RedisTopology topology)
    {
        await using var chat = await HarnessAsync(topology);
        // Claims the conversation for a next message inside its delivery of the end, before the reply's other
        // observers hear it: a claim sent on the shared connection ahead of the release would find it busy.
        var quick = new ClaimAtEndObserver(chat.Leases);
        chat.Coordinator.Begin(new ChatTurnRequest(ChatHarness.Owner, "One.", null, null, null), quick);
        chat.Model.Say("a");
        chat.Model.Finish();
        chat.Model.End();

        Assert.Equal(LeaseOutcome.Taken, (await quick.Claim.WaitAsync(TimeSpan.FromSeconds(10), Token)).Outcome);
    }

    [Theory, RedisTopologies]
    public async Task AClientThatAnswersTheEndTheMomentItArrivesFindsTheConversationFreeOnAnotherInstance(RedisTopology topology)
    {
        await using var producing = await HarnessAsync(topology);
        await using var other = await HarnessAsync(topology);
        // The next message goes to another instance, on another connection to Redis: nothing queues it behind the
        // release, so the release must be done before the end goes out.
        var quick = new ClaimAtEndObserver(other.Leases);
        producing.Coordinator.Begin(new ChatTurnRequest(ChatHarness.Owner, "One.", null, null, null), quick);
        producing.Model.Say("a");
        producing.Model.Finish();
        producing.Model.End();

        Assert.Equal(LeaseOutcome.Taken, (await quick.Claim.WaitAsync(TimeSpan.FromSeconds(10), Token)).Outcome);
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(RedisTopology topology)
    {
        var redis = TestRedis.Connect(await redisServers.ConnectionStringAsync(topology));
        _clients.Add(redis);
        return redis;
    }

    private Task<ChatHarness> HarnessAsync(string kind) => kind switch
    {
        "memory" => Task.FromResult(new ChatHarness()),
        "redis" => HarnessAsync(RedisTopology.SingleNode),
        "redis-cluster" => HarnessAsync(RedisTopology.Cluster),
        "redis-classic" => HarnessAsync(RedisTopology.SingleNode, pubSub: ReplyPubSub.Classic),
        _ => HarnessAsync(RedisTopology.Cluster, pubSub: ReplyPubSub.Classic),
    };

    private async Task<ChatHarness> HarnessAsync(RedisTopology topology, Func<IConnectionMultiplexer, IConnectionMultiplexer>? brokersRedis = null, ReplyPubSub pubSub = ReplyPubSub.Auto)
    {
        var redis = await ConnectAsync(topology);
        var store = new RedisConversationStore(redis, Options.Create(new ConversationOptions()), TimeProvider.System);
        var broker = brokersRedis?.Invoke(redis) ?? redis;
        return new ChatHarness(store, redis: broker, replies: options => options.PubSub = pubSub);
    }

    private sealed class ClaimAtEndObserver(IConversationLeases leases) : IReplyObserver
    {
        private readonly TaskCompletionSource<Task<LeaseClaim>> _claim = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<LeaseClaim> Claim => _claim.Task.Unwrap();

        public bool TryDeliver(ServerFrame frame)
        {
            if (frame is EndFrame end)
            {
                _claim.TrySetResult(leases.TakeAsync(new LeaseRequest(ChatHarness.Owner, end.ConversationId, "m-two", IsNewConversation: false), CancellationToken.None));
            }

            return true;
        }
    }
}

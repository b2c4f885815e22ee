using System.Diagnostics;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Redis;
using AspireChat.ChatApi.Replies;
using AspireChat.Tests.Fixtures;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Resume;

/// <summary>Resume, tabs and stop across two ChatApi processes on one redis-server and on a Redis Cluster.</summary>
public sealed class ReplicaResumeTests(ReplicasFixture fixture) : IClassFixture<ReplicasFixture>
{
    /// <summary>
    /// Each topology with the default pub/sub (sharded on this machine's Redis 7) and with <c>Replies:PubSub=Classic</c>
    /// on both instances: the fallback a Redis before 7 gets, forced here.
    /// </summary>
    public static IEnumerable<ITheoryDataRow> PubSubModes =>
        from topology in Enum.GetValues<RedisTopology>()
        from pubSub in new[] { ReplyPubSub.Auto, ReplyPubSub.Classic }
        select RedisTopologies.Row(topology, topology, pubSub);

    [Theory, MemberData(nameof(PubSubModes))]
    public async Task AReplyStartedOnOneInstanceResumesOnTheOtherAfterTheLastSeqExactlyOnce(RedisTopology topology, ReplyPubSub pubSub)
    {
        var replicas = await fixture.OnAsync(topology, pubSub);
        var owner = ReplicasFixture.NewOwner();
        var (start, before) = await StartReplyAsync(replicas.A, owner, chunks: 5);
        var conversationId = (string)start["conversationId"]!;
        var messageId = (string)start["messageId"]!;
        var lastSeq = (long)before[^1]["seq"]!;

        await using var reloaded = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);
        await reloaded.SendAsync(new { type = "resume", conversationId, messageId, lastSeq });
        var after = await reloaded.ReceiveReplyAsync();

        Assert.Equal(["start", .. Enumerable.Repeat("chunk", after.Count - 2), "end"], ChatSocketClient.TypesOf(after));
        Assert.Equal(messageId, (string?)after[0]["messageId"]);
        var chunks = after.Where(f => (string?)f["type"] == "chunk").ToList();
        Assert.Equal(Enumerable.Range((int)lastSeq + 1, chunks.Count).Select(i => (long)i), chunks.Select(c => (long)c["seq"]!));
        Assert.Equal("stop", (string?)after[^1]["finishReason"]);
        var text = ChatSocketClient.TextOf(before) + string.Concat(chunks.Select(c => (string?)c["content"]));
        Assert.Equal(text, await SavedReplyAsync(replicas.B, owner, conversationId, "stop"));
    }

    [Theory, RedisTopologies]
    public async Task ReconnectingToEitherInstanceAtRandomPointsNeverLosesNorRepeatsAChunk(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        var (start, first) = await StartReplyAsync(replicas.A, owner, chunks: 1);
        var conversationId = (string)start["conversationId"]!;
        var messageId = (string)start["messageId"]!;
        var text = ChatSocketClient.TextOf(first);
        var lastSeq = 1L;
        var random = new Random(6);
        var reconnects = 0;
        for (var ended = false; !ended; reconnects++)
        {
            await using var socket = await ChatSocketClient.ConnectAsync(reconnects % 2 == 0 ? replicas.B.BaseAddress : replicas.A.BaseAddress, owner);
            await socket.SendAsync(new { type = "resume", conversationId, messageId, lastSeq });
            Assert.Equal("start", (string?)(await socket.ReceiveTypeAsync("start"))["type"]);
            for (var read = random.Next(1, 4); read > 0 && !ended; read--)
            {
                var frame = await socket.ReceiveAsync() ?? throw new InvalidOperationException("The socket closed mid-reply.");
                if ((string?)frame["type"] == "end")
                {
                    ended = true;
                    break;
                }

                Assert.True((long)frame["seq"]! == lastSeq + 1, $"After seq {lastSeq} came {frame.ToJsonString()} (reconnect {reconnects}).");
                lastSeq++;
                text += (string?)frame["content"];
            }
        }

        Assert.True(reconnects >= 10, $"Only {reconnects} reconnects.");
        Assert.Equal(text, await SavedReplyAsync(replicas.B, owner, conversationId, "stop"));
    }

    [Theory, RedisTopologies]
    public async Task TwoTabsOnDifferentInstancesBothSeeTheUserMessageAndTheLiveReply(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        await using var tab1 = await ChatSocketClient.ConnectAsync(replicas.A.BaseAddress, owner);
        await tab1.SendMessageAsync("First.");
        var firstReply = await tab1.ReceiveReplyAsync();
        var conversationId = (string)firstReply[0]["conversationId"]!;
        await using var tab2 = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);
        // Resuming the finished reply answers with its start and end: then tab 2 is watching.
        await tab2.SendAsync(new { type = "resume", conversationId, messageId = (string)firstReply[0]["messageId"]!, lastSeq = (long)firstReply[^2]["seq"]! });
        Assert.Equal(["start", "end"], ChatSocketClient.TypesOf([await tab2.ReceiveAsync() ?? [], await tab2.ReceiveAsync() ?? []]));

        await tab1.SendMessageAsync("Second, from tab one.", conversationId, id: "c-2");
        var sent = await tab1.ReceiveReplyAsync();
        var user = await tab2.ReceiveTypeAsync("user");
        var seen = await tab2.ReceiveReplyAsync();

        Assert.Equal(("c-2", "Second, from tab one.", conversationId), ((string?)user["id"], (string?)user["content"], (string?)user["conversationId"]));
        Assert.Equal((string?)sent[0]["messageId"], (string?)user["messageId"]);
        Assert.DoesNotContain("user", ChatSocketClient.TypesOf(sent));
        Assert.Equal(ChatSocketClient.TextOf(sent), ChatSocketClient.TextOf(seen));
        Assert.Equal(ChatSocketClient.TypesOf(sent), ChatSocketClient.TypesOf(seen));
    }

    [Theory, MemberData(nameof(PubSubModes))]
    public async Task AStopSentToTheOtherInstanceCancelsTheReplyWithinASecondAndKeepsThePartialReply(RedisTopology topology, ReplyPubSub pubSub)
    {
        var replicas = await fixture.OnAsync(topology, pubSub);
        var owner = ReplicasFixture.NewOwner();
        await using var producer = await ChatSocketClient.ConnectAsync(replicas.A.BaseAddress, owner);
        await producer.SendMessageAsync("Tell me a long story.");
        var frames = new List<JsonObject> { await producer.ReceiveTypeAsync("start") };
        var conversationId = (string)frames[0]["conversationId"]!;
        while (frames.Count < 4)
        {
            frames.Add(await producer.ReceiveTypeAsync("chunk"));
        }

        await using var other = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);
        var elapsed = Stopwatch.StartNew();
        await other.SendAsync(new { type = "stop", conversationId });
        frames.AddRange(await producer.ReceiveReplyAsync());
        elapsed.Stop();

        Assert.Equal("cancelled", (string?)frames[^1]["finishReason"]);
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(1), $"The reply ended {elapsed.ElapsedMilliseconds} ms after the stop.");
        Assert.Equal(ChatSocketClient.TextOf(frames), await SavedReplyAsync(replicas.B, owner, conversationId, "cancelled"));
    }

    [Theory, RedisTopologies]
    public async Task AStopFromAnotherOwnerStopsNothing(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        await using var producer = await ChatSocketClient.ConnectAsync(replicas.A.BaseAddress, owner);
        await producer.SendMessageAsync("Hi.");
        var start = await producer.ReceiveTypeAsync("start");

        await using var stranger = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, ReplicasFixture.NewOwner());
        await stranger.SendAsync(new { type = "stop", conversationId = (string)start["conversationId"]! });
        var reply = await producer.ReceiveReplyAsync();

        Assert.Equal("stop", (string?)reply[^1]["finishReason"]);
    }

    [Theory, RedisTopologies]
    public async Task ResumeWithABadSeqOrIdOrAnotherOwnersConversationGetsAClearErrorAndNoData(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        await using var producer = await ChatSocketClient.ConnectAsync(replicas.A.BaseAddress, owner);
        await producer.SendMessageAsync("Mine.");
        var reply = await producer.ReceiveReplyAsync();
        var conversationId = (string)reply[0]["conversationId"]!;
        var messageId = (string)reply[0]["messageId"]!;
        var lastSeq = (long)reply[^2]["seq"]!;
        await using var mine = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);
        await using var stranger = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, ReplicasFixture.NewOwner());
        // The producer stores the end just after its client got it: wait for it on the other instance.
        await mine.SendAsync(new { type = "resume", conversationId, messageId, lastSeq });
        Assert.Equal(["start", "end"], ChatSocketClient.TypesOf([await mine.ReceiveAsync() ?? [], await mine.ReceiveAsync() ?? []]));

        async Task<JsonObject> ErrorAsync(ChatSocketClient socket, object resume)
        {
            await socket.SendAsync(resume);
            try
            {
                return await socket.ReceiveTypeAsync("error", TimeSpan.FromSeconds(5));
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"No error came for {System.Text.Json.JsonSerializer.Serialize(resume)}.{Environment.NewLine}{replicas.B.Output}");
                throw;
            }
        }

        var future = await ErrorAsync(mine, new { type = "resume", conversationId, messageId, lastSeq = lastSeq + 1 });
        var negative = await ErrorAsync(mine, new { type = "resume", conversationId, messageId, lastSeq = -1 });
        var unknown = await ErrorAsync(mine, new { type = "resume", conversationId, messageId = ConversationIds.New(), lastSeq = 0 });
        var noConversation = await ErrorAsync(mine, new { type = "resume", messageId });
        var theirReply = await ErrorAsync(stranger, new { type = "resume", conversationId, messageId, lastSeq = 0 });
        var theirConversation = await ErrorAsync(stranger, new { type = "resume", conversationId });

        Assert.Equal("invalid_seq", (string?)future["code"]);
        Assert.Equal("invalid_seq", (string?)negative["code"]);
        Assert.Equal("not_found", (string?)unknown["code"]);
        Assert.Equal("invalid_frame", (string?)noConversation["code"]);
        Assert.Equal("not_found", (string?)theirReply["code"]);
        Assert.Equal("not_found", (string?)theirConversation["code"]);
        Assert.Equal((string?)unknown["message"], (string?)theirReply["message"]);
        // Nothing else reached the stranger: no frame of the conversation follows the errors.
        await stranger.SendAsync(new { type = "sing" });
        Assert.Equal("unknown_type", (string?)(await stranger.ReceiveTypeAsync("error"))["code"]);
    }

    public static IEnumerable<ITheoryDataRow> ClusterPubSubModes =>
        [RedisTopologies.Row(RedisTopology.Cluster, ReplyPubSub.Auto), RedisTopologies.Row(RedisTopology.Cluster, ReplyPubSub.Classic)];

    /// <summary>
    /// What the nodes themselves count while a watched reply streams: by default (sharded on Redis 7) the watching
    /// instance holds an SSUBSCRIBE on the conversation's channel, the conversation's master runs SPUBLISH and no other
    /// master hears of it; forced to Classic, a SUBSCRIBE and PUBLISH, which the cluster bus carries to every other node.
    /// </summary>
    [Theory, MemberData(nameof(ClusterPubSubModes))]
    public async Task OnAClusterALiveReplyIsShardedToItsConversationsNodeByDefaultAndBroadcastToEveryNodeWhenClassic(ReplyPubSub pubSub)
    {
        var replicas = await fixture.OnAsync(RedisTopology.Cluster, pubSub);
        await using var admin = Integration.Redis.TestRedis.Connect(replicas.Redis + ",allowAdmin=true");
        var owner = ReplicasFixture.NewOwner();
        await using var tab1 = await ChatSocketClient.ConnectAsync(replicas.A.BaseAddress, owner);
        await tab1.SendMessageAsync("First.");
        var first = await tab1.ReceiveReplyAsync();
        var conversationId = (string)first[0]["conversationId"]!;
        await using var tab2 = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);
        await tab2.SendAsync(new { type = "resume", conversationId, messageId = (string)first[0]["messageId"]!, lastSeq = (long)first[^2]["seq"]! });
        Assert.Equal(["start", "end"], ChatSocketClient.TypesOf([await tab2.ReceiveAsync() ?? [], await tab2.ReceiveAsync() ?? []]));
        var channel = RedisKeys.ConversationChannel(conversationId);
        var home = admin.GetDatabase().IdentifyEndpoint(channel)!;
        var masters = admin.GetServers().Where(server => !server.IsReplica).ToList();
        var before = await Task.WhenAll(masters.Select(RedisNodeCounters.ReadAsync));

        await tab1.SendMessageAsync("Second.", conversationId, id: "c-2");
        await tab1.ReceiveReplyAsync();
        await tab2.ReceiveTypeAsync("user");
        var seen = await tab2.ReceiveReplyAsync();
        var after = await Task.WhenAll(masters.Select(RedisNodeCounters.ReadAsync));
        // The bus relays a classic message to the other nodes after the publish has answered: the last one may still be
        // on its way when the reply's end arrives, so the others are read again (for up to 5 s) until they have them all.
        var homeIndex = masters.FindIndex(server => server.EndPoint.Equals(home));
        bool OthersLagBehindHome() => Enumerable.Range(0, masters.Count)
            .Any(i => i != homeIndex && (after[i] - before[i]).BusPublishReceived < (after[homeIndex] - before[homeIndex]).Publish);
        for (var tries = 0; pubSub == ReplyPubSub.Classic && tries < 50 && OthersLagBehindHome(); tries++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            after = await Task.WhenAll(masters.Select(RedisNodeCounters.ReadAsync));
        }

        Assert.Equal("stop", (string?)seen[^1]["finishReason"]);
        var subscribers = await Task.WhenAll(admin.GetServers().Select(async server => (
            Sharded: ChannelCount(await server.ExecuteAsync("PUBSUB", "SHARDNUMSUB", channel)),
            Classic: ChannelCount(await server.ExecuteAsync("PUBSUB", "NUMSUB", channel)))));
        var deltas = masters.Select((server, i) => (Home: server.EndPoint.Equals(home), Counts: after[i] - before[i])).ToList();
        var (homeDelta, othersDelta) = (deltas.Single(d => d.Home).Counts, deltas.Where(d => !d.Home).Select(d => d.Counts).ToList());
        var report = string.Join("; ", deltas.Select(d => $"{(d.Home ? "home" : "other")} {d.Counts}"));
        if (pubSub == ReplyPubSub.Classic)
        {
            Assert.True(subscribers.Sum(s => s.Classic) >= 1 && subscribers.Sum(s => s.Sharded) == 0, $"Subscribers (sharded, classic) per node: {string.Join(", ", subscribers)}.");
            Assert.True(homeDelta.Publish > 0 && deltas.All(d => d.Counts.ShardPublish == 0), report);
            // The cluster bus takes every classic message to every other node, which passes it to its subscribers.
            Assert.All(othersDelta, other => Assert.True(other.BusPublishReceived >= homeDelta.Publish, report));
        }
        else
        {
            Assert.True(subscribers.Sum(s => s.Sharded) >= 1 && subscribers.Sum(s => s.Classic) == 0, $"Subscribers (sharded, classic) per node: {string.Join(", ", subscribers)}.");
            Assert.True(homeDelta.ShardPublish > 0 && deltas.All(d => d.Counts.Publish == 0), report);
            // A sharded message goes over the bus to its shard's replica only: no other master hears of it.
            Assert.All(othersDelta, other => Assert.True(other.ShardPublish == 0 && other.BusPublishReceived == 0 && other.BusShardPublishReceived == 0, report));
        }
    }

    private static long ChannelCount(RedisResult result) => (long)((RedisResult[])result!)[1];

    /// <summary>Sends a message on <paramref name="instance"/>, reads its start and <paramref name="chunks"/> chunks, and leaves (the socket is closed).</summary>
    private static async Task<(JsonObject Start, List<JsonObject> Chunks)> StartReplyAsync(ServiceProcess instance, string owner, int chunks)
    {
        await using var socket = await ChatSocketClient.ConnectAsync(instance.BaseAddress, owner);
        await socket.SendMessageAsync("Tell me something.");
        var start = await socket.ReceiveTypeAsync("start");
        List<JsonObject> received = [];
        while (received.Count < chunks)
        {
            received.Add(await socket.ReceiveTypeAsync("chunk"));
        }

        return (start, received);
    }

    /// <summary>The assistant message history holds for the conversation, once the reply is saved with <paramref name="finishReason"/>.</summary>
    internal static async Task<string> SavedReplyAsync(ServiceProcess instance, string owner, string conversationId, string finishReason)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var conversation = await ReplicasFixture.GetConversationAsync(instance, owner, conversationId);
            var messages = conversation?["messages"]?.AsArray();
            if (messages is { Count: 2 })
            {
                Assert.Equal(["user", "assistant"], messages.Select(m => (string?)m!["role"]));
                Assert.Equal(finishReason, (string?)messages[1]!["finishReason"]);
                return (string)messages[1]!["content"]!;
            }

            Assert.True(DateTime.UtcNow < deadline, $"History does not hold the turn: {conversation?.ToJsonString()}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}

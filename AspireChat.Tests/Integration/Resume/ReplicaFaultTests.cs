using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Resume;

/// <summary>What goes wrong between replicas: a producer dies, Redis restarts, a client stops reading.</summary>
public sealed class ReplicaFaultTests(ReplicasFixture fixture) : IClassFixture<ReplicasFixture>
{
    [Theory, RedisTopologies]
    public async Task KillingTheProducingInstanceEndsTheReplyAsInterruptedForWatchersElsewhereAndKeepsThePartialText(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        await using var doomed = await ReplicasFixture.StartInstanceAsync(replicas.Redis, tokensPerSecond: 20);
        await using var producer = await ChatSocketClient.ConnectAsync(doomed.BaseAddress, owner);
        await producer.SendMessageAsync("Tell me something.");
        var start = await producer.ReceiveTypeAsync("start");
        var conversationId = (string)start["conversationId"]!;
        await using var watcher = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);
        await watcher.SendAsync(new { type = "resume", conversationId, messageId = (string)start["messageId"]!, lastSeq = 0 });
        List<JsonObject> frames = [await watcher.ReceiveTypeAsync("start")];
        // Killed by the producer's own client's progress, not the watcher's: on a busy machine the watcher may lag
        // the producer by seconds, and the reply must still be under way when its instance dies.
        for (var chunks = 0; chunks < 3; chunks++)
        {
            await producer.ReceiveTypeAsync("chunk");
        }

        await doomed.KillAsync();
        var sinceKill = Stopwatch.StartNew();
        frames.AddRange(await watcher.ReceiveReplyAsync(TimeSpan.FromSeconds(10)));
        sinceKill.Stop();

        Assert.Equal("end", (string?)frames[^1]["type"]);
        Assert.Equal("interrupted", (string?)frames[^1]["finishReason"]);
        // By design within two leases: the lease lapses within one, and the watcher finds it missing at two checks half
        // a lease apart. Twice that for the timers of a loaded two-core CI machine (which once took 4.5 s here).
        Assert.True(sinceKill.Elapsed < ReplicasFixture.Lease * 4, $"The end came {sinceKill.ElapsedMilliseconds} ms after the kill; the lease is {ReplicasFixture.Lease.TotalMilliseconds} ms.");
        Assert.Equal(ChatSocketClient.TextOf(frames), await ReplicaResumeTests.SavedReplyAsync(replicas.B, owner, conversationId, "interrupted"));
        // The conversation is free again.
        await watcher.SendMessageAsync("Are you back?", conversationId);
        var next = await watcher.ReceiveReplyAsync();
        Assert.Equal("stop", (string?)next[^1]["finishReason"]);
    }

    [Theory, RedisTopologies]
    public async Task AReplyWhoseInstanceDiedUnwatchedIsSavedAsInterruptedWhenItsConversationIsRead(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        await using var doomed = await ReplicasFixture.StartInstanceAsync(replicas.Redis, tokensPerSecond: 20);
        await using var producer = await ChatSocketClient.ConnectAsync(doomed.BaseAddress, owner);
        await producer.SendMessageAsync("Tell me something.");
        List<JsonObject> received = [await producer.ReceiveTypeAsync("start")];
        while (received.Count < 4)
        {
            received.Add(await producer.ReceiveTypeAsync("chunk"));
        }

        // Nobody watches and nobody writes again: only reading the conversation can end the reply.
        await doomed.KillAsync();
        var conversationId = (string)received[0]["conversationId"]!;
        var saved = await ReplicaResumeTests.SavedReplyAsync(replicas.B, owner, conversationId, "interrupted");

        // The producer stored what it streamed a moment after sending it: what was saved and what
        // its client saw are both the start of the one reply.
        try
        {
            while (await producer.ReceiveAsync() is { } frame)
            {
                received.Add(frame);
            }
        }
        catch (WebSocketException)
        {
            // The instance died under the socket: what arrived before is all there is.
        }

        var seen = ChatSocketClient.TextOf(received);
        Assert.True(seen.StartsWith(saved, StringComparison.Ordinal) || saved.StartsWith(seen, StringComparison.Ordinal), $"Saved \"{saved}\" and seen \"{seen}\" differ.");
    }

    // One node's restart. On a cluster a node's death is a failover, which its own test covers.
    [Fact]
    public async Task RedisRestartingMidReplyLosesNothingForTheClientTheWatcherElsewhereOrHistory()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { Persistent = true });
        await using var a = await ReplicasFixture.StartInstanceAsync(redis.ConnectionString, tokensPerSecond: 30);
        await using var b = await ReplicasFixture.StartInstanceAsync(redis.ConnectionString, tokensPerSecond: 30);
        var owner = ReplicasFixture.NewOwner();
        await using var client = await ChatSocketClient.ConnectAsync(a.BaseAddress, owner);
        await client.SendMessageAsync("Tell me something.");
        List<JsonObject> sent = [await client.ReceiveTypeAsync("start")];
        var conversationId = (string)sent[0]["conversationId"]!;
        await using var watcher = await ChatSocketClient.ConnectAsync(b.BaseAddress, owner);
        await watcher.SendAsync(new { type = "resume", conversationId, messageId = (string)sent[0]["messageId"]!, lastSeq = 0 });
        List<JsonObject> seen = [await watcher.ReceiveTypeAsync("start")];
        sent.Add(await client.ReceiveTypeAsync("chunk"));
        seen.Add(await watcher.ReceiveTypeAsync("chunk"));

        await redis.KillAsync();
        await Task.Delay(500, TestContext.Current.CancellationToken);
        await redis.StartAsync();
        sent.AddRange(await client.ReceiveReplyAsync());
        seen.AddRange(await watcher.ReceiveReplyAsync());

        Assert.Equal("stop", (string?)sent[^1]["finishReason"]);
        Assert.Equal("stop", (string?)seen[^1]["finishReason"]);
        Assert.DoesNotContain("error", ChatSocketClient.TypesOf(sent));
        Assert.Equal(ChatSocketClient.TextOf(sent), ChatSocketClient.TextOf(seen));
        Assert.Equal(ChatSocketClient.TextOf(sent), await ReplicaResumeTests.SavedReplyAsync(b, owner, conversationId, "stop"));
    }

    [Theory, RedisTopologies]
    public async Task AWatcherThatStopsReadingIsDroppedAndDoesNotHoldUpTheTabThatReads(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        await using var fast = await ReplicasFixture.StartInstanceAsync(replicas.Redis, tokensPerSecond: 0, maxQueuedFrames: 100_000);
        await using var reader = await ChatSocketClient.ConnectAsync(fast.BaseAddress, owner);
        await reader.SendMessageAsync("Hi.");
        var first = await reader.ReceiveReplyAsync();
        var conversationId = (string)first[0]["conversationId"]!;
        await using var stalled = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);
        await stalled.SendAsync(new { type = "resume", conversationId, messageId = (string)first[0]["messageId"]!, lastSeq = (long)first[^2]["seq"]! });
        Assert.Equal(["start", "end"], ChatSocketClient.TypesOf([await stalled.ReceiveAsync() ?? [], await stalled.ReceiveAsync() ?? []]));

        // The offline model quotes the message: each reply is thousands of chunks, far more than socket buffers and the 256-frame queue hold.
        var longMessage = string.Join(' ', Enumerable.Repeat("word", 5_000));
        var received = 0;
        for (var i = 0; i < 4; i++)
        {
            await reader.SendMessageAsync(longMessage, conversationId);
            var reply = await reader.ReceiveReplyAsync();
            Assert.Equal("stop", (string?)reply[^1]["finishReason"]);
            received += reply.Count + 1;
        }

        var delivered = 0;
        var closed = false;
        try
        {
            while (await stalled.ReceiveAsync(TimeSpan.FromSeconds(5)) is not null)
            {
                delivered++;
            }

            closed = true;
        }
        catch (WebSocketException)
        {
            closed = true;
        }

        Assert.True(closed, "The server kept the stalled socket open.");
        Assert.True(delivered < received, $"The stalled watcher still got all {received} frames.");
    }
}

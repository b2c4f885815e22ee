using System.Diagnostics;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Resume;

/// <summary>
/// A Redis Cluster failover in the middle of a reply: the master that holds the conversation's slot is killed (SIGKILL)
/// while two ChatApi instances serve it, one producing the reply and the other resuming it for a second tab. A cluster
/// of its own, since the test kills a node.
/// </summary>
public sealed class ClusterFailoverTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact, Trait("Redis", "Cluster")]
    public async Task KillingTheConversationsMasterMidReplyEndsTheReplyForEveryClientWithoutGapOrDuplicateAndMessagesWorkAgain()
    {
        await using var cluster = await RedisCluster.StartAsync(cancellationToken: Token);
        await using var producing = await ReplicasFixture.StartInstanceAsync(cluster.ConnectionString, tokensPerSecond: 20);
        await using var other = await ReplicasFixture.StartInstanceAsync(cluster.ConnectionString);
        var owner = ReplicasFixture.NewOwner();
        await using var producer = await ChatSocketClient.ConnectAsync(producing.BaseAddress, owner);
        await producer.SendMessageAsync("Tell me something long.");
        var start = await producer.ReceiveTypeAsync("start");
        var conversationId = (string)start["conversationId"]!;
        await using var watcher = await ChatSocketClient.ConnectAsync(other.BaseAddress, owner);
        await watcher.SendAsync(new { type = "resume", conversationId, messageId = (string)start["messageId"]!, lastSeq = 0 });
        List<JsonObject> watched = [await watcher.ReceiveTypeAsync("start")];
        List<JsonObject> produced = [start];
        for (var chunks = 0; chunks < 3; chunks++)
        {
            produced.Add(await producer.ReceiveTypeAsync("chunk"));
        }

        var sinceKill = Stopwatch.StartNew();
        // Returns once the replica serves the slot and every node agrees.
        var failover = await cluster.KillMasterOfAsync(RedisKeys.Conversation(conversationId), Token);
        produced.AddRange(await producer.ReceiveReplyAsync(TimeSpan.FromSeconds(90)));
        watched.AddRange(await watcher.ReceiveReplyAsync(TimeSpan.FromSeconds(90)));
        var ended = sinceKill.Elapsed;

        // The reply finished, or ended clearly; the resuming tab saw every chunk once, in order, and the same text.
        var end = produced[^1];
        Assert.Equal("end", (string?)end["type"]);
        Assert.Contains((string?)end["finishReason"], new[] { "stop", "interrupted" });
        Assert.Equal("end", (string?)watched[^1]["type"]);
        // TextOf checks the chunks' seqs run 1, 2, 3... with no gap and no repeat.
        Assert.StartsWith(ChatSocketClient.TextOf(watched), ChatSocketClient.TextOf(produced), StringComparison.Ordinal);

        // A new message in the conversation, on the other instance, once the replica serves the slot.
        var retryUntil = Stopwatch.StartNew();
        List<JsonObject> next;
        while (true)
        {
            await watcher.SendMessageAsync("Are you back?", conversationId);
            next = await watcher.ReceiveReplyAsync(TimeSpan.FromSeconds(60));
            if ((string?)next[^1]["type"] == "end" || retryUntil.Elapsed > TimeSpan.FromSeconds(30))
            {
                break;
            }

            await Task.Delay(250, Token);
        }

        Assert.Equal("stop", (string?)next[^1]["finishReason"]);
        // The figures docs/deploy.md gives ("What a failover costs").
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"Failover of slot {failover.Slot} took {failover.Took.TotalSeconds:F1} s; the reply ended {ended.TotalSeconds:F1} s after the kill ({end["finishReason"]}); a new message answered {sinceKill.Elapsed.TotalSeconds:F1} s after it.");
        Assert.True(sinceKill.Elapsed < TimeSpan.FromSeconds(30), $"A new message took {sinceKill.Elapsed.TotalSeconds:F1} s after the kill.");
    }
}

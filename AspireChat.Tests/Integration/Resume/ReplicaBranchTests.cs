using System.Text.Json.Nodes;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Resume;

/// <summary>Regenerate, edit and switch across replicas: live in every tab, safe when a replica dies.</summary>
public sealed class ReplicaBranchTests(ReplicasFixture fixture) : IClassFixture<ReplicasFixture>
{
    [Theory, RedisTopologies]
    public async Task KillingTheInstanceDuringARegenerateSavesTheNewSiblingAsInterruptedAndLeavesTheOldReplyUntouched(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        var (conversationId, userId, oldReply) = await FirstTurnAsync(replicas.A, owner);
        await using var doomed = await ReplicasFixture.StartInstanceAsync(replicas.Redis, tokensPerSecond: 20);
        await using var producer = await ChatSocketClient.ConnectAsync(doomed.BaseAddress, owner);

        await producer.SendAsync(new { type = "regenerate", conversationId, messageId = (string)oldReply["id"]! });
        List<JsonObject> received = [await producer.ReceiveTypeAsync("start")];
        while (received.Count < 4)
        {
            received.Add(await producer.ReceiveTypeAsync("chunk"));
        }

        await doomed.KillAsync();
        var messages = await EventuallyAsync(replicas.B, owner, conversationId, m => m.Count == 3);

        Assert.Equal(oldReply.ToJsonString(), messages[1]!.ToJsonString());
        var sibling = messages[2]!;
        Assert.Equal((string?)received[0]["messageId"], (string?)sibling["id"]);
        Assert.Equal(userId, (string?)sibling["parentId"]);
        Assert.Equal("interrupted", (string?)sibling["finishReason"]);
        // The producer stores what it streams a moment after sending it, so the kill may come between the two: what
        // was saved and what its client saw are both the start of the one reply (as in ReplicaFaultTests).
        var (seen, saved) = (ChatSocketClient.TextOf(received), (string)sibling["content"]!);
        Assert.True(seen.StartsWith(saved, StringComparison.Ordinal) || saved.StartsWith(seen, StringComparison.Ordinal), $"Saved \"{saved}\" and seen \"{seen}\" differ.");
        // The conversation takes the next regenerate.
        await using var again = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);
        await again.SendAsync(new { type = "regenerate", conversationId, messageId = userId });
        Assert.Equal("stop", (string?)(await again.ReceiveReplyAsync())[^1]["finishReason"]);
    }

    [Theory, RedisTopologies]
    public async Task ARegenerateAndASwitchInOneTabShowLiveInATabOnAnotherInstance(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        var (conversationId, userId, oldReply) = await FirstTurnAsync(replicas.A, owner);
        await using var tab1 = await ChatSocketClient.ConnectAsync(replicas.A.BaseAddress, owner);
        await using var tab2 = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);
        // Resuming the finished reply answers with all of it: then the tab is watching the conversation.
        foreach (var tab in new[] { tab1, tab2 })
        {
            await tab.SendAsync(new { type = "resume", conversationId, messageId = (string)oldReply["id"]!, lastSeq = 0 });
            Assert.Equal("end", (string?)(await tab.ReceiveReplyAsync())[^1]["type"]);
        }

        await tab1.SendAsync(new { type = "regenerate", conversationId, messageId = (string)oldReply["id"]!, id = "regen-1" });
        var mine = await tab1.ReceiveReplyAsync();
        var user = await tab2.ReceiveTypeAsync("user");
        var theirs = await tab2.ReceiveReplyAsync();

        Assert.Equal(userId, (string?)user["id"]);
        Assert.Null((string?)user["parentId"]);
        Assert.Equal(userId, (string?)mine[0]["parentId"]);
        Assert.Equal("regen-1", (string?)mine[0]["replyTo"]);
        Assert.Equal((string?)mine[0]["messageId"], (string?)theirs[0]["messageId"]);
        Assert.Equal(userId, (string?)theirs[0]["parentId"]);
        Assert.Equal(ChatSocketClient.TextOf(mine), ChatSocketClient.TextOf(theirs));

        await tab1.SendAsync(new { type = "switch", conversationId, parentId = userId, index = 1 });
        Assert.Equal((string?)oldReply["id"], (string?)(await tab1.ReceiveTypeAsync("branch"))["leafId"]);
        Assert.Equal((string?)oldReply["id"], (string?)(await tab2.ReceiveTypeAsync("branch"))["leafId"]);
        var conversation = await ReplicasFixture.GetConversationAsync(replicas.B, owner, conversationId);
        Assert.Equal((string?)oldReply["id"], (string?)conversation!["activeLeafId"]);
    }

    [Theory, RedisTopologies]
    public async Task TwoTabsEditingTheSameMessageAtOnceLoseNoWriteAndBothBranchesAreKept(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        var (conversationId, userId, _) = await FirstTurnAsync(replicas.A, owner);
        await using var tab1 = await ChatSocketClient.ConnectAsync(replicas.A.BaseAddress, owner);
        await using var tab2 = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, owner);

        await Task.WhenAll(
            tab1.SendAsync(new { type = "edit", conversationId, messageId = userId, content = "Edited in tab 1", id = "tab1-edit" }),
            tab2.SendAsync(new { type = "edit", conversationId, messageId = userId, content = "Edited in tab 2", id = "tab2-edit" }));
        var replies = await Task.WhenAll(tab1.ReceiveReplyAsync(), tab2.ReceiveReplyAsync());
        // One reply streams at a time: an edit that found the conversation busy wrote nothing and is sent again.
        for (var i = 0; i < 2; i++)
        {
            if ((string?)replies[i][0]["type"] == "error")
            {
                Assert.Equal("conversation_busy", (string?)replies[i][0]["code"]);
                var tab = i == 0 ? tab1 : tab2;
                await tab.SendAsync(new { type = "edit", conversationId, messageId = userId, content = $"Edited in tab {i + 1}", id = $"tab{i + 1}-edit" });
                replies[i] = await tab.ReceiveReplyAsync();
            }
        }

        Assert.All(replies, r => Assert.Equal("stop", (string?)r[^1]["finishReason"]));
        var messages = await EventuallyAsync(replicas.B, owner, conversationId, m => m.Count == 6);
        var roots = messages.Where(m => m!["parentId"] is null).Select(m => (string?)m!["content"]).ToList();
        Assert.Equal(3, roots.Count);
        Assert.Contains("Edited in tab 1", roots);
        Assert.Contains("Edited in tab 2", roots);
        Assert.Equal(["tab1-edit", "tab2-edit"], messages.Where(m => (string?)m!["role"] == "assistant" && ((string?)m["parentId"])!.StartsWith("tab", StringComparison.Ordinal)).Select(m => (string?)m!["parentId"]).Order());
    }

    [Theory, RedisTopologies]
    public async Task BadBranchFramesGetAClearErrorAndTheConnectionStaysOpen(RedisTopology topology)
    {
        var replicas = await fixture.OnAsync(topology);
        var owner = ReplicasFixture.NewOwner();
        var (conversationId, userId, _) = await FirstTurnAsync(replicas.A, owner);
        var stranger = ReplicasFixture.NewOwner();
        await using var mine = await ChatSocketClient.ConnectAsync(replicas.A.BaseAddress, owner);
        await using var theirs = await ChatSocketClient.ConnectAsync(replicas.B.BaseAddress, stranger);

        await mine.SendAsync(new { type = "regenerate", conversationId });
        Assert.Equal("invalid_frame", (string?)(await mine.ReceiveTypeAsync("error"))["code"]);
        await mine.SendAsync(new { type = "edit", conversationId, messageId = userId, content = "  " });
        Assert.Equal("empty_content", (string?)(await mine.ReceiveTypeAsync("error"))["code"]);
        await mine.SendAsync(new { type = "switch", conversationId, parentId = userId, index = 0 });
        Assert.Equal("invalid_index", (string?)(await mine.ReceiveTypeAsync("error"))["code"]);
        await mine.SendAsync(new { type = "switch", conversationId, parentId = userId, index = 2 });
        Assert.Equal("invalid_index", (string?)(await mine.ReceiveTypeAsync("error"))["code"]);
        await mine.SendAsync(new { type = "switch", conversationId, parentId = "no-such-parent", index = 1 });
        Assert.Equal("not_found", (string?)(await mine.ReceiveTypeAsync("error"))["code"]);
        await mine.SendAsync(new { type = "regenerate", conversationId, messageId = "no-such-message" });
        var unknown = await mine.ReceiveTypeAsync("error");
        Assert.True((string?)unknown["code"] == "not_found", unknown.ToJsonString());

        object[] attempts =
        [
            new { type = "regenerate", conversationId, messageId = userId },
            new { type = "edit", conversationId, messageId = userId, content = "Hijack" },
            new { type = "switch", conversationId, messageId = userId },
        ];
        foreach (var attempt in attempts)
        {
            await theirs.SendAsync(attempt);
            var error = await theirs.ReceiveTypeAsync("error");
            Assert.True((string?)error["code"] == "not_found", error.ToJsonString());
            Assert.DoesNotContain("Hello", error.ToJsonString(), StringComparison.Ordinal);
        }

        Assert.Equal(2, (await EventuallyAsync(replicas.B, owner, conversationId, m => m.Count == 2)).Count);
        await mine.SendMessageAsync("Still here?", conversationId);
        Assert.Equal("stop", (string?)(await mine.ReceiveReplyAsync())[^1]["finishReason"]);
    }

    private static async Task<(string ConversationId, string UserId, JsonObject Reply)> FirstTurnAsync(ServiceProcess instance, string owner)
    {
        await using var client = await ChatSocketClient.ConnectAsync(instance.BaseAddress, owner);
        await client.SendMessageAsync("Hello, tell me something.");
        var frames = await client.ReceiveReplyAsync();
        Assert.Equal("stop", (string?)frames[^1]["finishReason"]);
        var conversationId = (string)frames[0]["conversationId"]!;
        var messages = await EventuallyAsync(instance, owner, conversationId, m => m.Count == 2);
        return (conversationId, (string)messages[0]!["id"]!, messages[1]!.AsObject());
    }

    private static async Task<JsonArray> EventuallyAsync(ServiceProcess instance, string owner, string conversationId, Func<JsonArray, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var conversation = await ReplicasFixture.GetConversationAsync(instance, owner, conversationId);
            if (conversation?["messages"]?.AsArray() is { } messages && done(messages))
            {
                return messages;
            }

            Assert.True(DateTime.UtcNow < deadline, $"History is not as expected: {conversation?.ToJsonString()}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}

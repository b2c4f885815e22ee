using AspireChat.ChatApi.WebSockets;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Resume;

/// <summary>A connection's watches are bounded: a page opening one conversation after another does not pile them up.</summary>
public sealed class WatchLimitTests
{
    [Fact]
    public async Task WatchingOneConversationTooManyDropsTheOneWatchedLongestAgo()
    {
        await using var factory = new ChatApiFactory(new() { ["Chat:Limits:MessageBurst"] = "100" });
        var cookie = await factory.NewOwnerCookieAsync();
        await using var sender = await factory.ConnectAsync(cookie);
        List<string> conversations = [];
        for (var i = 0; i <= ConversationWatches.MaxWatchedConversations; i++)
        {
            await sender.SendMessageAsync($"Conversation {i}");
            conversations.Add((string)(await sender.ReceiveReplyAsync())[0]["conversationId"]!);
        }

        await using var watcher = await factory.ConnectAsync(cookie);
        foreach (var conversationId in conversations)
        {
            await watcher.SendAsync(new { type = "resume", conversationId });
        }

        // An answer to a later frame: the resumes before it are handled.
        await watcher.SendAsync(new { type = "sing" });
        Assert.Equal("unknown_type", (string?)(await watcher.ReceiveTypeAsync("error"))["code"]);

        await sender.SendMessageAsync("To the first, no longer watched", conversations[0]);
        await sender.ReceiveReplyAsync();
        await sender.SendMessageAsync("To the last, watched", conversations[^1]);
        await sender.ReceiveReplyAsync();
        var seen = new List<System.Text.Json.Nodes.JsonObject> { await watcher.ReceiveTypeAsync("user") };
        seen.AddRange(await watcher.ReceiveReplyAsync());

        Assert.All(seen, frame => Assert.Equal(conversations[^1], (string?)frame["conversationId"]));
        Assert.Equal("To the last, watched", (string?)seen[0]["content"]);
        Assert.Equal("end", (string?)seen[^1]["type"]);
    }
}

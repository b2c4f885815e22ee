using System.Text.Json;
using AspireChat.ChatApi.Models;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.AI;
using static Microsoft.Playwright.Assertions;

namespace AspireChat.Tests.Browser;

/// <summary>A reply outlives the page that asked for it: reload or a second tab, and it streams on.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class ResumeTests(BrowserFixture browser, SlowChatSite web) : IClassFixture<SlowChatSite>
{
    private Uri BaseAddress => web.Site.BaseAddress;

    [Fact]
    public async Task ReloadingMidReplyContinuesTheReplyAndItsFinalTextIsExactlyTheModelsOutput()
    {
        const string message = "Tell me a story that takes a while.";
        await using var context = await browser.NewContextAsync(BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        await chat.SendAsync(message);
        var reply = chat.Replies.First;
        await Expect(reply.Locator(".body")).ToContainTextAsync("takes a while", new() { Timeout = ChatPage.ReplyTimeout });

        await chat.ReloadAsync();

        // Still streaming after the reload, under its question, and then complete.
        await Expect(chat.Replies.First).ToHaveAttributeAsync("data-status", "streaming");
        await Expect(chat.UserMessages).ToHaveTextAsync([message]);
        await chat.WaitForReplyAsync(0);
        var resumed = await chat.Replies.First.Locator(".body").InnerTextAsync();

        // History holds exactly what the model wrote, and the page showed the same.
        var expected = OfflineChatClient.Reply([new ChatMessage(ChatRole.System, "system"), new ChatMessage(ChatRole.User, message)]);
        var response = await chat.Page.APIRequest.GetAsync($"/api/conversations/{chat.ConversationId}");
        using var conversation = JsonDocument.Parse(await response.TextAsync());
        var saved = conversation.RootElement.GetProperty("messages")[1].GetProperty("content").GetString();
        Assert.Equal(expected, saved);
        await chat.ReloadAsync();
        await Expect(chat.Replies.First).ToHaveAttributeAsync("data-status", "done");
        Assert.Equal(await chat.Replies.First.Locator(".body").InnerTextAsync(), resumed);
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task ASecondTabShowsTheMessageAndTheReplyAsTheyHappen()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        var first = await ChatPage.OpenAsync(context);
        await first.ChatAsync("Hello from tab one");
        var second = await ChatPage.OpenAsync(context, $"/?c={first.ConversationId}");
        await Expect(second.Replies).ToHaveCountAsync(1);

        await first.SendAsync("And once more");

        await Expect(second.UserMessages).ToHaveTextAsync(["Hello from tab one", "And once more"], new() { Timeout = ChatPage.ReplyTimeout });
        await second.WaitForReplyAsync(1);
        await first.WaitForReplyAsync(1);
        Assert.Equal(await first.Replies.Nth(1).Locator(".body").InnerTextAsync(), await second.Replies.Nth(1).Locator(".body").InnerTextAsync());
        Assert.Empty(first.Problems);
        Assert.Empty(second.Problems);
    }
}

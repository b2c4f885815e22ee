using AspireChat.Tests.Fixtures;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AspireChat.Tests.Browser;

[Collection(BrowserTestGroup.Name)]
public sealed class ReconnectTests(BrowserFixture browser)
{
    [Fact]
    public async Task PageReconnectsByItselfWhenChatApiComesBackAndCanChatAgain()
    {
        await using var site = await ChatSite.StartAsync(OfflineModelPacing.Fast, TestContext.Current.CancellationToken);
        await using var context = await browser.NewContextAsync(site.BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        await chat.ChatAsync("Before the outage");

        await site.KillChatApiAsync();
        await Expect(chat.Connection).ToHaveAttributeAsync("data-state", "waiting", new() { Timeout = 15_000 });
        await Expect(chat.Connection).ToContainTextAsync("Offline");

        // A message sent meanwhile fails inline, beside itself, with a retry.
        await chat.SendAsync("Sent while offline");
        var failed = chat.Page.Locator(".message.user[data-status='failed']");
        await Expect(failed.Locator(".error")).ToContainTextAsync("Not sent");

        await site.RestartChatApiAsync(TestContext.Current.CancellationToken);
        await chat.WaitUntilConnectedAsync(timeout: 30_000);

        // ChatApi's in-memory history went with it: the page says so and keeps the failed message.
        await Expect(chat.Page.Locator("#notice")).ToContainTextAsync("does not exist");
        await Expect(chat.UserMessages).ToHaveTextAsync(["Sent while offline"]);

        // The retry goes out on the new connection and is answered, in a new conversation.
        await failed.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await chat.WaitForReplyAsync(0);
        await Expect(chat.Replies.First).ToContainTextAsync("Sent while offline");
        await Expect(chat.UserMessages).ToHaveTextAsync(["Sent while offline"]);
        Assert.Empty(chat.Problems);
    }
}

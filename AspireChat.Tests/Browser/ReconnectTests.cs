using AspireChat.Tests.Fixtures;
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

        await site.RestartChatApiAsync(TestContext.Current.CancellationToken);
        await chat.WaitUntilConnectedAsync(timeout: 30_000);

        // ChatApi's in-memory history went with it; a new conversation works as before.
        await chat.Page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "New chat" }).First.ClickAsync();
        var reply = await chat.ChatAsync("After the outage");
        Assert.Contains("After the outage", reply, StringComparison.Ordinal);
    }
}

using AspireChat.Tests.Fixtures;
using static Microsoft.Playwright.Assertions;

namespace AspireChat.Tests.Browser;

/// <summary>What a user does while a (slow) reply is still streaming.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class SlowReplyTests(BrowserFixture browser, SlowChatSite web) : IClassFixture<SlowChatSite>
{
    private Uri BaseAddress => web.Site.BaseAddress;

    [Fact]
    public async Task StopEndsTheReplyAndKeepsWhatWasStreamed()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        await chat.SendAsync("Write me a long story");
        var reply = chat.Replies.First;
        await Expect(reply).ToHaveAttributeAsync("data-status", "streaming", new() { Timeout = ChatPage.ReplyTimeout });
        await Expect(reply.Locator(".body")).ToContainTextAsync("long story", new() { Timeout = ChatPage.ReplyTimeout });

        await chat.StopButton.ClickAsync();

        await chat.WaitForReplyAsync(0, "cancelled");
        var partial = await reply.Locator(".body").InnerTextAsync();
        Assert.Contains("long story", partial, StringComparison.Ordinal);
        await Expect(reply.Locator(".meta")).ToContainTextAsync("Stopped");
        // Nothing more arrives after the stop, and the composer is ready again.
        await chat.Page.WaitForTimeoutAsync(500);
        Assert.Equal(partial, await reply.Locator(".body").InnerTextAsync());
        await Expect(chat.Page.Locator("#send")).ToBeVisibleAsync();

        // The partial reply is what history keeps.
        await chat.ReloadAsync();
        await Expect(chat.Replies.First).ToHaveAttributeAsync("data-status", "cancelled");
        Assert.Equal(partial, await chat.Replies.First.Locator(".body").InnerTextAsync());
    }

    [Fact]
    public async Task ALongReplyDoesNotMoveTheViewOfAUserWhoScrolledUp()
    {
        await using var context = await browser.NewContextAsync(BaseAddress, new() { ViewportSize = new() { Width = 900, Height = 420 } });
        var chat = await ChatPage.OpenAsync(context);
        var scroller = chat.Page.Locator("#scroller");
        // The offline model quotes the message back, so a long message makes a long reply.
        await chat.SendAsync(string.Join('\n', Enumerable.Range(1, 12).Select(i => $"Line {i} of a message long enough to fill the view.")));
        // Wait until the reply overflows the view by a good margin, then scroll up as a reader does.
        await chat.Page.WaitForFunctionAsync(
            "() => { const s = document.getElementById('scroller'); return s.scrollHeight > s.clientHeight + 400; }",
            null,
            new() { Timeout = ChatPage.ReplyTimeout });
        await scroller.HoverAsync();
        await chat.Page.Mouse.WheelAsync(0, -250);
        await Expect(chat.Page.Locator("#jump")).ToBeVisibleAsync();
        var before = await ScrollTopAsync();
        var heightBefore = await ScrollHeightAsync();

        await chat.Page.WaitForTimeoutAsync(1_500);

        Assert.Equal("streaming", await chat.Replies.First.GetAttributeAsync("data-status"));
        Assert.True(await ScrollHeightAsync() > heightBefore, "The reply should have grown while the user read.");
        Assert.InRange(await ScrollTopAsync(), before - 1, before + 1);

        // Jump to latest follows the reply again.
        await chat.Page.Locator("#jump").ClickAsync();
        await chat.Page.WaitForFunctionAsync(
            "() => { const s = document.getElementById('scroller'); return s.scrollHeight - s.scrollTop - s.clientHeight < 48; }");
        await Expect(chat.Page.Locator("#jump")).ToBeHiddenAsync();

        Task<double> ScrollTopAsync() => scroller.EvaluateAsync<double>("s => s.scrollTop");
        Task<double> ScrollHeightAsync() => scroller.EvaluateAsync<double>("s => s.scrollHeight");
    }
}

using System.Collections.Concurrent;
using AspireChat.Tests.Fixtures;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AspireChat.Tests.Browser;

/// <summary>Issue 19's three journeys, as a user does them: find an old word, share a link and revoke it, rate a reply in one tab.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class FindShareRateTests(BrowserFixture browser, FastChatSite web) : IClassFixture<FastChatSite>
{
    private const string Payload = "<img src=x onerror=\"window.pwned=1\"> <b>bold</b>";

    private Uri BaseAddress => web.Site.BaseAddress;

    [Fact]
    public async Task FindingAWordFromAnOlderConversationLandsOnItsMessageInItsBranch()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        await chat.ChatAsync("Where does the axolotl live?");
        var older = chat.ConversationId;
        // Long enough to scroll: landing on the first message is landing far from the bottom.
        for (var i = 0; i < 3; i++)
        {
            await chat.ChatAsync($"Follow-up question {i}");
        }

        // An edit makes another branch the one on screen: the word is now only in a branch that is not shown.
        var first = chat.Page.Locator(".message.user").First;
        await first.GetByRole(AriaRole.Button, new() { Name = "Edit the message" }).ClickAsync();
        await first.GetByRole(AriaRole.Textbox, new() { Name = "Edit your message" }).FillAsync("Where do capybaras live?");
        await first.GetByRole(AriaRole.Textbox, new() { Name = "Edit your message" }).PressAsync("Enter");
        await Expect(chat.UserMessages).ToHaveTextAsync(["Where do capybaras live?"], new() { Timeout = ChatPage.ReplyTimeout });
        await chat.WaitForReplyAsync(0);
        // Newer conversations on top of it, one with markup in it.
        await chat.Page.GetByRole(AriaRole.Button, new() { Name = "New chat" }).First.ClickAsync();
        await chat.ChatAsync($"Something newer {Payload} axolotlish");
        await chat.Page.GetByRole(AriaRole.Button, new() { Name = "New chat" }).First.ClickAsync();
        await chat.ChatAsync("The newest of all");

        await chat.Page.Keyboard.PressAsync("Control+k");
        var box = chat.Page.GetByRole(AriaRole.Searchbox, new() { Name = "Search your conversations" });
        await Expect(box).ToBeFocusedAsync();
        await box.FillAsync("axolotl");
        var results = chat.Page.Locator(".search-result");
        await Expect(results.First).ToBeVisibleAsync(new() { Timeout = 10_000 });

        // Newest first: the newer conversation's messages (prefix match) before the older one's; marks are text the page made.
        await Expect(results.First.Locator(".search-result-title")).ToContainTextAsync("Something newer");
        Assert.Equal(0, await chat.Page.Locator(".search-results img, .search-results b").CountAsync());
        Assert.Contains("<img src=x", await results.First.Locator(".search-result-snippet").InnerTextAsync(), StringComparison.Ordinal);
        await Expect(results.First.Locator("mark").First).ToHaveTextAsync("axolotlish");
        // The question itself (the offline model's replies quote it too: with the question, five matches, the most one conversation shows).
        var wanted = results
            .Filter(new() { Has = chat.Page.Locator(".search-result-meta", new() { HasTextRegex = new("^You") }) })
            .Filter(new() { HasText = "Where does the axolotl live?" });
        await Expect(wanted).ToHaveCountAsync(1);
        await Expect(wanted.Locator("mark")).ToHaveTextAsync("axolotl");

        await wanted.ClickAsync();

        // The older conversation, switched to the branch that holds the message, scrolled to it, not to the bottom.
        await Expect(chat.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"c={older}"));
        string[] branch = ["Where does the axolotl live?", .. Enumerable.Range(0, 3).Select(i => $"Follow-up question {i}")];
        await Expect(chat.UserMessages).ToHaveTextAsync(branch);
        await Expect(chat.Page.Locator(".message.user").First).ToBeInViewportAsync();
        await Expect(chat.Replies.Last).Not.ToBeInViewportAsync();
        await Expect(chat.Page.Locator(".message.user").First.Locator(".position")).ToHaveTextAsync("1/2");
        // The server moved the active leaf too: a reload shows the same branch.
        await chat.ReloadAsync();
        await Expect(chat.UserMessages).ToHaveTextAsync(branch, new() { Timeout = 10_000 });
        Assert.Null(await chat.Page.EvaluateAsync<object?>("window.pwned"));
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task ASharedLinkOpensInABrowserWithNoCookiesCanBeCopiedAndIs404OnceRevoked()
    {
        await using var owner = await browser.NewContextAsync(BaseAddress);
        await owner.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var chat = await ChatPage.OpenAsync(owner);
        await chat.ChatAsync($"Share this: {Payload}");
        await chat.ChatAsync("And a **second** question");

        await chat.Page.GetByRole(AriaRole.Button, new() { Name = "Share", Exact = true }).ClickAsync();
        await chat.Page.GetByRole(AriaRole.Button, new() { Name = "Create a link" }).ClickAsync();
        var link = chat.Page.GetByRole(AriaRole.Textbox, new() { Name = "Share link" });
        await Expect(link).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("/s/[A-Za-z0-9_-]{24}$"));
        var url = await link.InputValueAsync();
        await Expect(chat.Page.Locator(".share-list li")).ToHaveCountAsync(1);

        // A second browser, with no cookie of the owner's (nor any).
        await using var stranger = await browser.NewContextAsync(BaseAddress);
        var reader = await stranger.NewPageAsync();
        List<string> problems = [];
        reader.PageError += (_, error) => problems.Add(error);
        var opened = await reader.GotoAsync(url);
        Assert.Equal(200, opened!.Status);
        Assert.Equal("noindex, nofollow", await opened.HeaderValueAsync("x-robots-tag"));
        await Expect(reader.Locator("#share-title")).ToHaveTextAsync($"Share this: {Payload}");
        await Expect(reader.Locator(".message.user .body")).ToHaveTextAsync([$"Share this: {Payload}", "And a **second** question"]);
        await Expect(reader.Locator(".message.assistant")).ToHaveCountAsync(2);
        Assert.Equal(0, await reader.Locator(".log img, .message.user b").CountAsync());
        Assert.Null(await reader.EvaluateAsync<object?>("window.pwned"));
        Assert.Empty(await stranger.CookiesAsync());

        // The reader copies it into a conversation of their own. What became of the copy's request and of the navigation
        // after it, for a failure to name: this step has timed out under load with the copy answered 201 and no notice,
        // so whether its body arrived ("finished") and whether the page's navigation left are what is still unknown.
        ConcurrentQueue<string> copyRequest = new();
        reader.Request += (_, request) => Note(request, $"sent {request.Method}");
        reader.Response += (_, response) => Note(response.Request, $"answered {response.Status}");
        reader.RequestFinished += (_, request) => Note(request, "finished");
        reader.RequestFailed += (_, request) => Note(request, $"failed ({request.Failure})");
        void Note(IRequest request, string what)
        {
            if (request.Url.EndsWith("/copy", StringComparison.Ordinal) || request.IsNavigationRequest)
            {
                var which = request.IsNavigationRequest ? $"navigation to {new Uri(request.Url).PathAndQuery} " : "";
                copyRequest.Enqueue($"{which}{what} at {DateTime.UtcNow:HH:mm:ss.fff}");
            }
        }

        await reader.GetByRole(AriaRole.Button, new() { Name = "Continue in a chat of your own" }).ClickAsync();
        try
        {
            // The navigation is what is asserted; the new page's content is awaited below. The address is polled, which
            // needs no navigation or load event to be seen. WaitForURLAsync (commit) timed out here in CI with the copy
            // answered 201 and no notice; a 3 s delay before calling it did not reproduce that, so the cause is open,
            // and the requests noted above say whether the copy's body arrived and the navigation left.
            await Expect(reader).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"/\?c="), new() { Timeout = 30_000 });
        }
        catch (PlaywrightException)
        {
            // Say why: the page shows the copy's failure in its notice.
            Assert.Fail($"The copy did not navigate by {DateTime.UtcNow:HH:mm:ss.fff}: the page is at {reader.Url}. Its requests: {(copyRequest.IsEmpty ? "never sent" : string.Join(", ", copyRequest))}. Notice: \"{await reader.Locator("#notice").TextContentAsync()}\"; page errors: {string.Join("; ", problems)}.");
        }
        await Expect(reader.Locator(".message.user .body")).ToHaveTextAsync([$"Share this: {Payload}", "And a **second** question"], new() { Timeout = 10_000 });
        await Expect(reader.Locator("#conversations .conversation")).ToHaveCountAsync(1);

        // The owner revokes it: the link is 404 at once.
        await chat.Page.GetByRole(AriaRole.Button, new() { NameRegex = new("^Revoke") }).ClickAsync();
        await Expect(chat.Page.Locator(".share-status")).ToHaveTextAsync("Revoked: the link no longer opens.");
        var gone = await reader.GotoAsync(url);
        Assert.Equal(404, gone!.Status);
        await Expect(reader.Locator("#share-title")).ToHaveTextAsync("This link does not exist");
        await Expect(reader.Locator(".message")).ToHaveCountAsync(0);
        Assert.Empty(problems);
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task AThumbsDownInOneTabAppearsInTheOther()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        var tab1 = await ChatPage.OpenAsync(context);
        await tab1.ChatAsync("Rate this reply");
        var tab2 = await ChatPage.OpenAsync(context, $"/?c={tab1.ConversationId}");
        await Expect(tab2.Replies).ToHaveCountAsync(1);
        var down1 = tab1.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Bad reply" });
        var down2 = tab2.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Bad reply" });
        await Expect(down2).ToHaveAttributeAsync("aria-pressed", "false");

        await down1.ClickAsync();
        await Expect(down1).ToHaveAttributeAsync("aria-pressed", "true");
        var comment = tab1.Page.GetByRole(AriaRole.Textbox, new() { Name = "Comment on the reply" });
        await comment.FillAsync("<script>alert(1)</script> it missed the point");
        await comment.PressAsync("Enter");
        await Expect(comment).ToHaveCountAsync(0);

        await Expect(down2).ToHaveAttributeAsync("aria-pressed", "true", new() { Timeout = 10_000 });
        await Expect(tab2.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Good reply" })).ToHaveAttributeAsync("aria-pressed", "false");
        await Expect(tab2.Replies.First.Locator(".feedback-comment")).ToHaveTextAsync("Edit the comment");
        await tab2.ReloadAsync();
        await Expect(tab2.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Bad reply" })).ToHaveAttributeAsync("aria-pressed", "true");

        // Taking it back in tab 2 clears it in tab 1.
        await tab2.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Bad reply" }).ClickAsync();
        await Expect(down1).ToHaveAttributeAsync("aria-pressed", "false", new() { Timeout = 10_000 });
        Assert.Empty(tab1.Problems);
        Assert.Empty(tab2.Problems);
    }
}

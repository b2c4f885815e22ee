using System.Text.Json;
using AspireChat.Tests.Fixtures;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AspireChat.Tests.Browser;

/// <summary>The page against a real ChatApi behind a real Web, in headless Chromium.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class ChatPageTests(BrowserFixture browser, FastChatSite web) : IClassFixture<FastChatSite>
{
    private Uri BaseAddress => web.Site.BaseAddress;

    [Fact]
    public async Task ReplyAppearsChunkByChunkAsItStreams()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        // Every length the reply's text takes on screen, recorded in the page as the DOM changes.
        await chat.Page.EvaluateAsync("""
            () => {
              window.__lengths = [];
              new MutationObserver(() => {
                const body = document.querySelector('.message.assistant:last-of-type .body');
                if (body) window.__lengths.push(body.textContent.length);
              }).observe(document.getElementById('log'), { subtree: true, childList: true, characterData: true });
            }
            """);

        var reply = await chat.ChatAsync("Tell me about streaming");

        var lengths = (await chat.Page.EvaluateAsync<int[]>("() => window.__lengths")).Distinct().ToArray();
        Assert.True(lengths.Length >= 5, $"Expected the reply to grow on screen in several steps, saw lengths [{string.Join(", ", lengths)}].");
        Assert.Equal(lengths.Order(), lengths);
        Assert.Contains("Tell me about streaming", reply, StringComparison.Ordinal);
        await Expect(chat.Replies.First.Locator(".meta")).ToContainTextAsync("tokens");
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task ReloadShowsTheOpenConversationsHistory()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        await chat.ChatAsync("First question");
        await chat.ChatAsync("Second question");
        var conversationId = chat.ConversationId;
        Assert.False(string.IsNullOrEmpty(conversationId), "The open conversation's id belongs in the URL.");

        await chat.ReloadAsync();

        Assert.Equal(conversationId, chat.ConversationId);
        await Expect(chat.UserMessages).ToHaveTextAsync(["First question", "Second question"]);
        await Expect(chat.Replies).ToHaveCountAsync(2);
        await Expect(chat.Replies.Nth(1)).ToContainTextAsync("Second question");
    }

    [Fact]
    public async Task ConversationsCanBeSwitchedAndDeleted()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        await chat.ChatAsync("About apples");
        var apples = chat.ConversationId;
        await chat.Page.GetByRole(AriaRole.Button, new() { Name = "New chat" }).First.ClickAsync();
        await Expect(chat.UserMessages).ToHaveCountAsync(0);
        await chat.ChatAsync("About pears");
        await Expect(chat.Conversations).ToHaveCountAsync(2);

        // Switch back to the first one from the sidebar.
        await chat.Page.Locator($"#conversations a[href='?c={apples}']").ClickAsync();
        await Expect(chat.UserMessages).ToHaveTextAsync(["About apples"]);
        Assert.Equal(apples, chat.ConversationId);

        // Delete the open one: it leaves the list, the view resets, and a reload agrees.
        await chat.Page.GetByRole(AriaRole.Button, new() { NameRegex = new("^Delete .*About apples") }).ClickAsync();
        await Expect(chat.Conversations).ToHaveCountAsync(1);
        await Expect(chat.UserMessages).ToHaveCountAsync(0);
        await chat.ReloadAsync();
        await Expect(chat.Conversations).ToHaveCountAsync(1);
        await Expect(chat.Conversations.First).ToContainTextAsync("About pears");
    }

    [Fact]
    public async Task MarkupFromTheUserAndTheModelIsShownAsTextAndRunsNothing()
    {
        const string Payload = """<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold?</b> <a href="javascript:window.__pwned=3">link</a>""";
        await using var context = await browser.NewContextAsync(BaseAddress);
        var chat = await ChatPage.OpenAsync(context);

        // The offline model quotes the user's message, so the payload is in its output too.
        var reply = await chat.ChatAsync(Payload);
        await AssertShownAsTextAsync(chat, reply);

        // And again when both come back from history.
        await chat.ReloadAsync();
        await AssertShownAsTextAsync(chat, await chat.Replies.First.Locator(".body").InnerTextAsync());

        static async Task AssertShownAsTextAsync(ChatPage chat, string reply)
        {
            await Expect(chat.UserMessages.First).ToHaveTextAsync(Payload);
            Assert.Contains("<img src=x onerror=", reply, StringComparison.Ordinal);
            Assert.Contains("<script>", reply, StringComparison.Ordinal);
            await Expect(chat.Log.Locator("img, script, b, a[href^='javascript']")).ToHaveCountAsync(0);
            Assert.True(await chat.Page.EvaluateAsync<bool>("() => window.__pwned === undefined"), "A payload's script ran.");
            Assert.Empty(chat.Problems);
        }
    }

    [Fact]
    public async Task OwnerCookieReachesChatApiAndAnotherBrowserSeesNothingOfIt()
    {
        await using var first = await browser.NewContextAsync(BaseAddress);
        var alice = await ChatPage.OpenAsync(first);
        await alice.ChatAsync("Alice's secret plan");
        var aliceConversation = alice.ConversationId;

        await using var second = await browser.NewContextAsync(BaseAddress);
        var bob = await ChatPage.OpenAsync(second, $"/?c={aliceConversation}");

        // Bob's list is empty, Alice's conversation opens as "does not exist" for him, and the API agrees.
        await Expect(bob.Conversations).ToHaveCountAsync(0);
        await Expect(bob.UserMessages).ToHaveCountAsync(0);
        await Expect(bob.Page.Locator("#notice")).ToContainTextAsync("does not exist");
        var bobsList = await second.APIRequest.GetAsync("/api/conversations");
        Assert.Equal("[]", (await bobsList.TextAsync()).Trim());
        var alicesList = await first.APIRequest.GetAsync("/api/conversations");
        var ids = JsonDocument.Parse(await alicesList.TextAsync()).RootElement.EnumerateArray().Select(c => c.GetProperty("id").GetString());
        Assert.Contains(aliceConversation, ids);

        var cookies = await first.CookiesAsync();
        Assert.Contains(cookies, cookie => cookie.Name == "aspirechat_owner" && cookie.HttpOnly);
    }

    [Fact]
    public async Task ComposerWorksFromTheKeyboardAlone()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        var keyboard = chat.Page.Keyboard;

        // The message box has the focus from the start.
        await Expect(chat.Input).ToBeFocusedAsync();
        await keyboard.TypeAsync("first line");
        await keyboard.PressAsync("Shift+Enter");
        await keyboard.TypeAsync("second line");
        var height = await chat.Input.EvaluateAsync<double>("e => e.getBoundingClientRect().height");
        await keyboard.PressAsync("Shift+Enter");
        await keyboard.TypeAsync("third line");

        Assert.Equal("first line\nsecond line\nthird line", await chat.Input.InputValueAsync());
        Assert.True(await chat.Input.EvaluateAsync<double>("e => e.getBoundingClientRect().height") > height, "The box should grow with its text.");
        await Expect(chat.UserMessages).ToHaveCountAsync(0);

        await keyboard.PressAsync("Enter");

        await Expect(chat.UserMessages).ToHaveTextAsync(["first line\nsecond line\nthird line"]);
        await chat.WaitForReplyAsync(0);
        Assert.Equal("", await chat.Input.InputValueAsync());
        await Expect(chat.Input).ToBeFocusedAsync();
    }

    [Fact]
    public async Task AtPhoneWidthTheConversationListIsADrawer()
    {
        await using var context = await browser.NewContextAsync(BaseAddress, new() { ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true });
        var chat = await ChatPage.OpenAsync(context);
        await chat.ChatAsync("First on the phone");
        var first = chat.ConversationId;
        await chat.Page.GetByRole(AriaRole.Button, new() { Name = "New chat" }).ClickAsync();
        await chat.ChatAsync("Second on the phone");
        var menu = chat.Page.GetByRole(AriaRole.Button, new() { Name = "Conversations" });
        var drawer = chat.Page.Locator("#sidebar");
        await Expect(drawer).Not.ToBeInViewportAsync();

        await menu.ClickAsync();

        await Expect(menu).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(drawer).ToBeInViewportAsync();
        await chat.Page.Locator($"#conversations a[href='?c={first}']").ClickAsync();
        await Expect(chat.UserMessages).ToHaveTextAsync(["First on the phone"]);
        await Expect(menu).ToHaveAttributeAsync("aria-expanded", "false");
        await Expect(drawer).Not.ToBeInViewportAsync();
        // No horizontal scrolling at phone width.
        Assert.True(await chat.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
    }

    [Fact]
    public async Task ScreenshotsOfTheMainViewInBothThemesAndAtPhoneWidth()
    {
        Directory.CreateDirectory(BrowserFixture.ScreenshotDirectory);
        (string Name, BrowserNewContextOptions Options)[] views =
        [
            ("light", new() { ColorScheme = ColorScheme.Light }),
            ("dark", new() { ColorScheme = ColorScheme.Dark }),
            ("phone", new() { ColorScheme = ColorScheme.Light, ViewportSize = new() { Width = 390, Height = 844 }, DeviceScaleFactor = 2, IsMobile = true, HasTouch = true }),
        ];
        foreach (var (name, options) in views)
        {
            await using var context = await browser.NewContextAsync(BaseAddress, options);
            var chat = await ChatPage.OpenAsync(context);
            await chat.ChatAsync("Plan a weekend in Lisbon");
            await chat.Page.GetByRole(AriaRole.Button, new() { Name = "New chat" }).First.ClickAsync();
            // The offline model quotes the message back, code block included: highlighted, with its copy button.
            await chat.ChatAsync("How do I print a number in C#? I tried this:\n\n```csharp\nvar answer = 42;\nConsole.WriteLine($\"The answer is {answer}\");\n```");
            var path = Path.Combine(BrowserFixture.ScreenshotDirectory, $"chat-{name}.png");

            await chat.Page.ScreenshotAsync(new() { Path = path });

            Assert.True(new FileInfo(path).Length > 10_000, $"Expected a real screenshot at {path}.");
            Assert.Empty(chat.Problems);
        }
    }
}

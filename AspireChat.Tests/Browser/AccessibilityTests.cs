using System.Text.Json;
using System.Text.RegularExpressions;
using AspireChat.Tests.Fixtures;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AspireChat.Tests.Browser;

/// <summary>
/// Axe (Deque.AxeCore.Playwright, which carries axe-core 4.14) on every view of the page in both color schemes, and
/// what axe cannot see: the announcements a screen reader hears as a reply streams, the offline countdown's, the
/// keyboard shortcuts, and where the focus goes.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed partial class AccessibilityTests(BrowserFixture browser, SlowChatSite web) : IClassFixture<SlowChatSite>
{
    /// <summary>Code with many kinds of token (keywords, built-ins, strings, numbers, comments, titles), highlighted by the page.</summary>
    private const string CodeMessage = """
        Explain this:

        ```js
        // Count the words of a reply.
        const limit = 42;
        function count(text) { return text.split(/\s+/).length > limit ? 'long' : "short"; }
        console.log(Math.max(count('a b'), null, undefined, true));
        ```
        """;

    public static TheoryData<string> Schemes => ["light", "dark"];

    [Theory]
    [MemberData(nameof(Schemes))]
    public async Task AxeFindsNoSeriousIssueOnAnyViewOfThePage(string scheme)
    {
        await using var context = await browser.NewContextAsync(web.Site.BaseAddress, new() { ColorScheme = Enum.Parse<ColorScheme>(scheme, ignoreCase: true) });
        var chat = await ChatPage.OpenAsync(context);
        await AssertNoSeriousIssuesAsync(chat.Page, $"the empty page ({scheme})");

        // A reply on its way (the slow model writes for seconds).
        await chat.SendAsync("Stream a reply for axe");
        await Expect(chat.Replies.First.Locator(".body")).Not.ToBeEmptyAsync(new() { Timeout = ChatPage.ReplyTimeout });
        await Expect(chat.Replies.First).ToHaveAttributeAsync("data-status", "streaming");
        await AssertNoSeriousIssuesAsync(chat.Page, $"a streaming reply ({scheme})");
        await chat.WaitForReplyAsync(0);

        // A reply with highlighted code, and a reply with two versions (the branch switcher).
        await chat.SendAsync(CodeMessage);
        await chat.WaitForReplyAsync(1);
        await Expect(chat.Replies.Nth(1).Locator("pre code .hljs-keyword").First).ToBeVisibleAsync();
        await AssertNoSeriousIssuesAsync(chat.Page, $"a reply with code ({scheme})");
        await chat.Replies.Nth(1).GetByRole(AriaRole.Button, new() { Name = "Regenerate the reply" }).ClickAsync();
        await Expect(chat.Replies.Nth(1).Locator(".position")).ToHaveTextAsync("2/2", new() { Timeout = ChatPage.ReplyTimeout });
        await chat.WaitForReplyAsync(1);
        await AssertNoSeriousIssuesAsync(chat.Page, $"the branch switcher ({scheme})");

        // The list of shortcuts, over the conversation.
        await chat.Page.Locator("h1").ClickAsync();
        await chat.Page.Keyboard.PressAsync("?");
        await Expect(chat.Page.GetByRole(AriaRole.Dialog, new() { Name = "Keyboard shortcuts" })).ToBeVisibleAsync();
        await AssertNoSeriousIssuesAsync(chat.Page, $"the shortcut list ({scheme})");

        // An error: a conversation that does not exist.
        await chat.Page.Keyboard.PressAsync("Escape");
        await chat.Page.GotoAsync("/?c=no-such-conversation");
        await Expect(chat.Page.Locator("#notice")).ToContainTextAsync("does not exist");
        await AssertNoSeriousIssuesAsync(chat.Page, $"an error notice ({scheme})");
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task AStreamedReplyIsAnnouncedSentenceBySentenceWhileItStreamsAndNeverTokenByToken()
    {
        await using var context = await browser.NewContextAsync(web.Site.BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        // Every addition to the announcement region, with the reply's state when it came.
        await chat.Page.EvaluateAsync("""
            () => {
              window.heard = [];
              new MutationObserver((records) => {
                for (const record of records) {
                  for (const node of record.addedNodes) {
                    window.heard.push({ text: node.textContent, status: document.querySelector('.message.assistant')?.dataset.status ?? '' });
                  }
                }
              }).observe(document.getElementById('announcer'), { childList: true });
            }
            """);

        await chat.SendAsync("Please follow along");
        await chat.WaitForReplyAsync(0);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        var heard = await chat.Page.EvaluateAsync<JsonElement>("() => window.heard");
        var announcements = heard.EnumerateArray().Select(h => (Text: h.GetProperty("text").GetString()!, Status: h.GetProperty("status").GetString()!)).ToList();
        var reply = await chat.Replies.First.Locator(".body").InnerTextAsync();

        // Together they say the whole reply, once, in order.
        Assert.Equal(Normalize(reply), Normalize(string.Join(" ", announcements.Select(a => a.Text))));
        // A sentence (or a quoted line, or a line ending in a colon) at a time: neither token by token nor all at once.
        Assert.InRange(announcements.Count, 4, 12);
        Assert.All(announcements, a => Assert.Matches(SentenceEnd(), a.Text));
        Assert.True(announcements.Count(a => a.Status == "streaming") >= 3, $"Most sentences should be heard while the reply streams: {string.Join(" | ", announcements)}");
    }

    [Fact]
    public async Task TheOfflineCountdownIsAnnouncedOnlyWhenTheStateChangesAndErrorsPassAxe()
    {
        await using var site = await ChatSite.StartAsync(OfflineModelPacing.Fast, TestContext.Current.CancellationToken);
        await using var context = await browser.NewContextAsync(site.BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        await chat.Page.EvaluateAsync("""
            () => {
              window.said = [];
              window.shown = [];
              new MutationObserver(() => window.said.push(document.getElementById('announcer-status').textContent))
                .observe(document.getElementById('announcer-status'), { childList: true, characterData: true, subtree: true });
              new MutationObserver(() => window.shown.push(document.getElementById('connection-text').textContent))
                .observe(document.getElementById('connection-text'), { childList: true, characterData: true, subtree: true });
            }
            """);

        await site.KillChatApiAsync();
        await Expect(chat.Connection).ToHaveAttributeAsync("data-state", "waiting", new() { Timeout = 15_000 });
        await chat.SendAsync("Sent while offline");
        await Expect(chat.Page.Locator(".message.user[data-status='failed'] .error")).ToContainTextAsync("Not sent");
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            await chat.Page.EmulateMediaAsync(new() { ColorScheme = scheme });
            await AssertNoSeriousIssuesAsync(chat.Page, $"offline, with a message not sent ({scheme})");
        }

        // Several seconds of backoff: the countdown on screen ticks; the status region speaks once per state.
        await Task.Delay(TimeSpan.FromSeconds(6), TestContext.Current.CancellationToken);
        var shown = await chat.Page.EvaluateAsync<string[]>("() => window.shown");
        var said = await chat.Page.EvaluateAsync<string[]>("() => window.said");

        Assert.True(shown.Count(s => s.Contains("retrying in", StringComparison.Ordinal)) >= 3, $"The countdown should tick on screen: {string.Join(" | ", shown)}");
        Assert.Contains("Offline. Retrying shortly.", said);
        Assert.DoesNotContain(said, s => s.Any(char.IsDigit));
        Assert.All(said.Zip(said.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
        // One announcement per change of state (offline, reconnecting, ...), however often the countdown ticked.
        var states = shown.Select(s => s.Contains("retrying in", StringComparison.Ordinal) ? "offline" : s).ToList();
        var changes = states.Zip(states.Skip(1)).Count(pair => pair.First != pair.Second) + 1;
        Assert.True(said.Length <= changes + 1 && said.Length < shown.Length, $"Said {string.Join(" | ", said)} for {string.Join(" | ", shown)}");
    }

    [Fact]
    public async Task TheShortcutsWorkAndQuestionMarkListsThemAll()
    {
        await using var context = await browser.NewContextAsync(web.Site.BaseAddress);
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var chat = await ChatPage.OpenAsync(context);
        await chat.SendAsync("Shortcut test");
        await chat.WaitForReplyAsync(0);
        var keyboard = chat.Page.Keyboard;

        // ? in the message box is a character; outside a text box it opens the list, and Esc closes it, back to the box.
        await chat.Input.FocusAsync();
        await keyboard.PressAsync("?");
        await Expect(chat.Input).ToHaveValueAsync("?");
        await chat.Input.FillAsync("");
        await chat.Page.Locator("h1").ClickAsync();
        await keyboard.PressAsync("?");
        var list = chat.Page.GetByRole(AriaRole.Dialog, new() { Name = "Keyboard shortcuts" });
        await Expect(list).ToBeVisibleAsync();
        foreach (var label in new[] { "Start a new chat", "Copy the last reply", "Regenerate the last reply", "Search your conversations", "Show these shortcuts", "Send the message" })
        {
            await Expect(list).ToContainTextAsync(label);
        }

        await Expect(list.Locator("kbd").First).ToHaveTextAsync("Ctrl");
        await keyboard.PressAsync("Escape");
        await Expect(list).ToBeHiddenAsync();
        await Expect(chat.Input).ToBeFocusedAsync();

        // Ctrl+Shift+C copies the last reply; Ctrl+Shift+Backspace regenerates it; Ctrl+Shift+O starts a new chat.
        await keyboard.PressAsync("Control+Shift+C");
        await Expect(chat.Page.Locator("#announcer-status")).ToHaveTextAsync("The last reply is copied.");
        // Its markdown source, as the Copy button under it gives.
        var copied = await chat.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.StartsWith("I'm AspireChat's **offline model**", copied, StringComparison.Ordinal);
        Assert.Contains("> Shortcut test", copied, StringComparison.Ordinal);
        await keyboard.PressAsync("Control+Shift+Backspace");
        await Expect(chat.Replies.First.Locator(".position")).ToHaveTextAsync("2/2", new() { Timeout = ChatPage.ReplyTimeout });
        await chat.WaitForReplyAsync(0);
        var conversation = chat.ConversationId;
        await keyboard.PressAsync("Control+Shift+O");
        await Expect(chat.Page.Locator("#empty")).ToBeVisibleAsync();
        Assert.Null(chat.ConversationId);
        Assert.NotNull(conversation);
        await Expect(chat.Input).ToBeFocusedAsync();
        Assert.Empty(chat.Problems);
    }

    [Fact]
    public async Task EveryControlReachedByTabShowsItsFocusAndTheFocusReturnsToTheBoxAfterSending()
    {
        await using var context = await browser.NewContextAsync(web.Site.BaseAddress);
        var chat = await ChatPage.OpenAsync(context);
        await chat.Input.FillAsync("Sent with the button");
        await chat.Page.GetByRole(AriaRole.Button, new() { Name = "Send message" }).ClickAsync();
        await Expect(chat.Input).ToBeFocusedAsync();
        await chat.WaitForReplyAsync(0);

        // Tab through the page once round: each element reached is drawn with a focus ring.
        var seen = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            await chat.Page.Keyboard.PressAsync("Tab");
            var focused = await chat.Page.EvaluateAsync<JsonElement>("""
                () => {
                  const e = document.activeElement;
                  const style = getComputedStyle(e);
                  return { name: `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${e.getAttribute('aria-label') ?? e.textContent.trim().slice(0, 20)}`,
                           ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1 };
                }
                """);
            var name = focused.GetProperty("name").GetString()!;
            if (name.StartsWith("body#", StringComparison.Ordinal))
            {
                // Past the last control, the focus leaves the page for a moment.
                continue;
            }

            Assert.True(focused.GetProperty("ring").GetBoolean(), $"{name} has focus but no visible focus ring");
            seen.Add(name);
        }

        Assert.Contains(seen, s => s.Contains("Regenerate", StringComparison.Ordinal));
        Assert.Contains(seen, s => s.Contains("Keyboard shortcuts", StringComparison.Ordinal));
        Assert.Contains(seen, s => s.Contains("New chat", StringComparison.Ordinal));
    }

    /// <summary>Axe on the page as it is now: no violation of serious or critical impact.</summary>
    private static async Task AssertNoSeriousIssuesAsync(IPage page, string view)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"Axe on {view}:{Environment.NewLine}{string.Join(Environment.NewLine, serious.Select(Describe))}");
    }

    private static string Describe(AxeResultItem violation) =>
        $"{violation.Id} ({violation.Impact}): {violation.Help}{Environment.NewLine}"
        + string.Join(Environment.NewLine, violation.Nodes.Take(5).Select(n => $"    {n.Target} {n.Html} {string.Join("; ", n.Any.Select(c => c.Message))}"));

    private static string Normalize(string text) => WhiteSpace().Replace(text, " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    /// <summary>A whole sentence, a line that introduces what follows, or a quoted line (the offline model quotes the message).</summary>
    [GeneratedRegex(@"([.!?:][""')\]]?|^Please follow along)$")]
    private static partial Regex SentenceEnd();
}

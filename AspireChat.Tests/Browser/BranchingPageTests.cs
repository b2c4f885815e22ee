using System.Text.Json;
using AspireChat.Tests.Fixtures;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AspireChat.Tests.Browser;

/// <summary>Regenerate, edit, switch, rename, copy, export and highlighted code, as a user does them, in two tabs at once.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class BranchingPageTests(BrowserFixture browser, FastChatSite web) : IClassFixture<FastChatSite>
{
    private Uri BaseAddress => web.Site.BaseAddress;

    [Fact]
    public async Task RegenerateSwitchAndEditInOneTabShowLiveInTheOtherAndSurviveAReload()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        var tab1 = await ChatPage.OpenAsync(context);
        await tab1.ChatAsync("First question");
        await tab1.ChatAsync("Second question");
        var tab2 = await ChatPage.OpenAsync(context, $"/?c={tab1.ConversationId}");
        await Expect(tab2.Replies).ToHaveCountAsync(2);

        // Regenerate the last reply in tab 1: a second version, streamed in both tabs.
        await tab1.Replies.Nth(1).GetByRole(AriaRole.Button, new() { Name = "Regenerate the reply" }).ClickAsync();
        await Expect(tab1.Replies.Nth(1).Locator(".position")).ToHaveTextAsync("2/2", new() { Timeout = ChatPage.ReplyTimeout });
        await tab1.WaitForReplyAsync(1);
        await Expect(tab2.Replies.Nth(1).Locator(".position")).ToHaveTextAsync("2/2", new() { Timeout = ChatPage.ReplyTimeout });
        await tab2.WaitForReplyAsync(1);

        // Back to the first version in tab 1: tab 2 follows.
        await tab1.Replies.Nth(1).GetByRole(AriaRole.Button, new() { Name = "Previous version" }).ClickAsync();
        await Expect(tab1.Replies.Nth(1).Locator(".position")).ToHaveTextAsync("1/2");
        await Expect(tab2.Replies.Nth(1).Locator(".position")).ToHaveTextAsync("1/2");

        // Edit the first question in tab 2: a new branch from there, in both tabs.
        var first = tab2.Page.Locator(".message.user").First;
        await first.GetByRole(AriaRole.Button, new() { Name = "Edit the message" }).ClickAsync();
        var box = first.GetByRole(AriaRole.Textbox, new() { Name = "Edit your message" });
        await box.FillAsync("First question, edited");
        await box.PressAsync("Enter");
        await Expect(tab2.UserMessages).ToHaveTextAsync(["First question, edited"], new() { Timeout = ChatPage.ReplyTimeout });
        await tab2.WaitForReplyAsync(0);
        await Expect(tab2.Page.Locator(".message.user").First.Locator(".position")).ToHaveTextAsync("2/2");
        await Expect(tab1.UserMessages).ToHaveTextAsync(["First question, edited"], new() { Timeout = ChatPage.ReplyTimeout });
        await tab1.WaitForReplyAsync(0);
        await Expect(tab1.Replies.First).ToContainTextAsync("First question, edited");

        // The first branch is still there, with both versions of its last reply.
        await tab1.Page.Locator(".message.user").First.GetByRole(AriaRole.Button, new() { Name = "Previous version" }).ClickAsync();
        await Expect(tab1.UserMessages).ToHaveTextAsync(["First question", "Second question"]);
        await Expect(tab2.UserMessages).ToHaveTextAsync(["First question", "Second question"]);

        // A switch shows the branch down to its newest leaf: the regenerated reply. A reload shows the same.
        await Expect(tab1.Replies.Nth(1).Locator(".position")).ToHaveTextAsync("2/2");
        await tab2.ReloadAsync();
        await Expect(tab2.UserMessages).ToHaveTextAsync(["First question", "Second question"]);
        await Expect(tab2.Replies.Nth(1).Locator(".position")).ToHaveTextAsync("2/2");
        Assert.Empty(tab1.Problems);
        Assert.Empty(tab2.Problems);
    }

    [Fact]
    public async Task RenameCopyExportAndHighlightedCodeWorkAsAUserUsesThem()
    {
        await using var context = await browser.NewContextAsync(BaseAddress);
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        var tab1 = await ChatPage.OpenAsync(context);
        // The offline model quotes the message back: its code block comes back highlighted.
        const string question = "Print a number:\n\n```csharp\nvar answer = 42;\nConsole.WriteLine(answer);\n```";
        await tab1.ChatAsync(question);
        var tab2 = await ChatPage.OpenAsync(context, $"/?c={tab1.ConversationId}");

        var code = tab1.Replies.First.Locator("pre code.language-csharp");
        await Expect(code.Locator(".hljs-keyword").First).ToHaveTextAsync("var");
        await Expect(tab2.Replies.First.Locator("pre code .hljs-keyword").First).ToHaveTextAsync("var");
        await tab1.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Copy code" }).ClickAsync();
        Assert.Equal("var answer = 42;\nConsole.WriteLine(answer);", (await Clipboard(tab1)).TrimEnd('\n'));
        await tab1.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Copy the message" }).ClickAsync();
        var copied = await Clipboard(tab1);
        Assert.Contains("```csharp", copied, StringComparison.Ordinal);
        Assert.Equal(await ReplyMarkdownAsync(tab1), copied);

        // Rename in tab 1: markup stays text, an empty title is refused with its reason.
        var item = tab1.Conversations.First;
        await item.GetByRole(AriaRole.Button, new() { NameRegex = new("^Rename") }).ClickAsync();
        var title = item.GetByRole(AriaRole.Textbox, new() { Name = "Conversation title" });
        await title.FillAsync("   ");
        await title.PressAsync("Enter");
        await Expect(item.GetByRole(AriaRole.Alert)).ToHaveTextAsync("A title needs at least one visible character.");
        await title.FillAsync("  <b>Renamed</b> & kept  ");
        await title.PressAsync("Enter");
        await Expect(tab1.Conversations.First.Locator("a")).ToHaveTextAsync("<b>Renamed</b> & kept");
        Assert.Equal(0, await tab1.Conversations.First.Locator("b").CountAsync());
        await tab2.ReloadAsync();
        await Expect(tab2.Conversations.First.Locator("a")).ToHaveTextAsync("<b>Renamed</b> & kept");

        // Export from tab 2, as Markdown and as JSON.
        await tab2.Page.Locator("#export summary").ClickAsync();
        var markdown = await DownloadAsync(tab2, "Markdown");
        Assert.StartsWith("# <b>Renamed</b> & kept", markdown, StringComparison.Ordinal);
        Assert.Contains("Console.WriteLine(answer);", markdown, StringComparison.Ordinal);
        await tab2.Page.Locator("#export summary").ClickAsync();
        await tab2.Page.Locator("#export summary").ClickAsync();
        using var json = JsonDocument.Parse(await DownloadAsync(tab2, "JSON"));
        Assert.Equal(["user", "assistant"], json.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        Assert.Equal(question, json.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Empty(tab1.Problems);
        Assert.Empty(tab2.Problems);
    }

    [Fact]
    public async Task ScreenshotOfABranchedConversation()
    {
        Directory.CreateDirectory(BrowserFixture.ScreenshotDirectory);
        await using var context = await browser.NewContextAsync(BaseAddress, new() { ColorScheme = ColorScheme.Light });
        var chat = await ChatPage.OpenAsync(context);
        await chat.ChatAsync("Show me a loop in JavaScript:\n\n```js\nfor (let i = 0; i < 3; i++) console.log(i);\n```");
        await chat.Replies.First.GetByRole(AriaRole.Button, new() { Name = "Regenerate the reply" }).ClickAsync();
        await Expect(chat.Replies.First.Locator(".position")).ToHaveTextAsync("2/2", new() { Timeout = ChatPage.ReplyTimeout });
        await chat.WaitForReplyAsync(0);
        await chat.Page.Locator("#export summary").ClickAsync();
        var path = Path.Combine(BrowserFixture.ScreenshotDirectory, "chat-branches.png");

        await chat.Page.ScreenshotAsync(new() { Path = path });

        Assert.True(new FileInfo(path).Length > 10_000, $"Expected a real screenshot at {path}.");
        Assert.Empty(chat.Problems);
    }

    private static Task<string> Clipboard(ChatPage chat) => chat.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()");

    private static async Task<string> ReplyMarkdownAsync(ChatPage chat)
    {
        var conversation = await chat.Page.EvaluateAsync<JsonElement>("async (id) => (await fetch('/api/conversations/' + id)).json()", chat.ConversationId);
        return conversation.GetProperty("messages")[1].GetProperty("content").GetString()!;
    }

    private static async Task<string> DownloadAsync(ChatPage chat, string link)
    {
        var download = await chat.Page.RunAndWaitForDownloadAsync(() => chat.Page.Locator("#export").GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync());
        var path = await download.PathAsync();
        return await File.ReadAllTextAsync(path);
    }
}

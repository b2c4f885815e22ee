using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AspireChat.Tests.Browser;

/// <summary>The chat page as a test drives it: what a user does and sees, by role and by the page's ids.</summary>
internal sealed class ChatPage
{
    /// <summary>Generous: replies stream from a real process on a busy machine.</summary>
    public static readonly float ReplyTimeout = 30_000;

    private readonly List<string> _problems = [];

    private ChatPage(IPage page)
    {
        Page = page;
        // Script errors and CSP violations are collected; tests assert there were none.
        page.PageError += (_, error) => _problems.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("WebSocket", StringComparison.Ordinal)
                && !message.Text.Contains("Failed to load resource", StringComparison.Ordinal))
            {
                _problems.Add("console error: " + message.Text);
            }
        };
    }

    public IPage Page { get; }

    public ILocator Input => Page.Locator("#input");

    public ILocator Log => Page.GetByRole(AriaRole.Log);

    /// <summary>The text of each of the user's messages (not the error and retry shown beside a failed one).</summary>
    public ILocator UserMessages => Page.Locator(".message.user .body");

    public ILocator Replies => Page.Locator(".message.assistant");

    public ILocator Conversations => Page.Locator("#conversations .conversation");

    public ILocator Connection => Page.Locator("#connection");

    public ILocator StopButton => Page.GetByRole(AriaRole.Button, new() { Name = "Stop the reply" });

    /// <summary>Script errors and CSP violations seen so far.</summary>
    public IReadOnlyList<string> Problems => _problems;

    public static async Task<ChatPage> OpenAsync(IBrowserContext context, string path = "/")
    {
        var chat = new ChatPage(await context.NewPageAsync());
        await chat.Page.GotoAsync(path);
        await chat.WaitUntilConnectedAsync();
        return chat;
    }

    public async Task ReloadAsync()
    {
        await Page.ReloadAsync();
        await WaitUntilConnectedAsync();
    }

    public Task WaitUntilConnectedAsync(float timeout = 15_000) =>
        Expect(Connection).ToHaveAttributeAsync("data-state", "open", new() { Timeout = timeout });

    /// <summary>Types the message and presses Enter, as a user does.</summary>
    public async Task SendAsync(string text)
    {
        await Input.FillAsync(text);
        await Input.PressAsync("Enter");
    }

    /// <summary>Waits until reply <paramref name="index"/> has ended with <paramref name="status"/> (done, cancelled, ...).</summary>
    public Task WaitForReplyAsync(int index, string status = "done") =>
        Expect(Replies.Nth(index)).ToHaveAttributeAsync("data-status", status, new() { Timeout = ReplyTimeout });

    /// <summary>Sends and waits for the complete reply; gives its text.</summary>
    public async Task<string> ChatAsync(string text)
    {
        var index = await Replies.CountAsync();
        await SendAsync(text);
        await WaitForReplyAsync(index);
        return await Replies.Nth(index).Locator(".body").InnerTextAsync();
    }

    /// <summary>The open conversation's id, from the address bar.</summary>
    public string? ConversationId =>
        System.Web.HttpUtility.ParseQueryString(new Uri(Page.Url).Query)["c"];
}

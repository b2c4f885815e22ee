using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AspireChat.Tests.Browser;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Web;

/// <summary><c>GET /s/{shareId}</c> from Web in front of a real ChatApi: the page, its headers, and 404 for what is not a share.</summary>
public sealed class SharePageTests(FastChatSite web) : IClassFixture<FastChatSite>
{
    private const string Payload = "<script>alert('shared')</script><img src=x onerror=alert(2)>";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASharedConversationIsAPageWithTheChatsPolicyNoIndexingNoReferrerAndTheShareAsInertData()
    {
        var (chat, shareId) = await ShareAsync(Payload);
        using var reader = new HttpClient { BaseAddress = web.Site.BaseAddress };

        using var page = await reader.GetAsync($"/s/{shareId}", Token);
        using var chatPage = await reader.GetAsync("/", Token);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Equal(chatPage.Headers.GetValues("Content-Security-Policy").Single(), page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("noindex, nofollow", page.Headers.GetValues("X-Robots-Tag").Single());
        Assert.True(page.Headers.CacheControl!.NoStore);
        Assert.False(page.Headers.Contains("Set-Cookie"));
        var html = await page.Content.ReadAsStringAsync(Token);
        Assert.Contains("<script type=\"application/json\" id=\"share-data\">", html, StringComparison.Ordinal);
        // The message's markup is in the data only as escaped JSON: it cannot close the data block or become an element.
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        var data = JsonNode.Parse(Between(html, "id=\"share-data\">", "</script>"))!;
        Assert.Equal(200, (int)data["status"]!);
        Assert.Equal(Payload, (string?)data["share"]!["messages"]![0]!["content"]);
        GC.KeepAlive(chat);
    }

    [Fact]
    public async Task ARevokedShareIsA404PageAndA404FromTheApi()
    {
        var (chat, shareId) = await ShareAsync("Revoke me");
        using var owner = chat.CreateHttpClient();

        (await owner.DeleteAsync($"/api/shares/{shareId}", Token)).EnsureSuccessStatusCode();

        using var reader = new HttpClient { BaseAddress = web.Site.BaseAddress };
        using var page = await reader.GetAsync($"/s/{shareId}", Token);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("noindex, nofollow", page.Headers.GetValues("X-Robots-Tag").Single());
        var data = JsonNode.Parse(Between(await page.Content.ReadAsStringAsync(Token), "id=\"share-data\">", "</script>"))!;
        Assert.Equal(404, (int)data["status"]!);
        Assert.Null(data["share"]);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync($"/api/shares/{shareId}", Token)).StatusCode);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("..%2F..%2Fapi%2Fconversations")]
    [InlineData("%3Cscript%3E")]
    public async Task AShareIdOfTheWrongShapeIsA404Page(string shareId)
    {
        using var reader = new HttpClient { BaseAddress = web.Site.BaseAddress };

        using var page = await reader.GetAsync($"/s/{shareId}", Token);

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("id=\"share-data\">{\"status\":404}", await page.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
    }

    private async Task<(WebSocketChat Chat, string ShareId)> ShareAsync(string content)
    {
        var chat = new WebSocketChat(web.Site.BaseAddress);
        var reply = await chat.SendAsync(content, traceparent: null, Token);
        using var owner = chat.CreateHttpClient();
        using var created = await owner.PostAsync($"/api/conversations/{reply.ConversationId}/share", null, Token);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var share = (await created.Content.ReadFromJsonAsync<JsonObject>(Token))!;
        // Through Web, the link is on the page's own origin.
        Assert.Equal(new Uri(web.Site.BaseAddress, $"/s/{share["shareId"]}").ToString(), (string?)share["url"]);
        return (chat, (string)share["shareId"]!);
    }

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return text[from..text.IndexOf(end, from, StringComparison.Ordinal)];
    }
}

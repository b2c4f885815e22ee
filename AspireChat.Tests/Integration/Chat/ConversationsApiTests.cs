using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Chat;

public sealed class ConversationsApiTests : IAsyncLifetime
{
    private readonly ChatApiFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task FirstContactIssuesAnHttpOnlyOwnerCookieOf128RandomBits()
    {
        using var client = _factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false });

        using var response = await client.GetAsync("/api/conversations", TestContext.Current.CancellationToken);

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.Matches("^aspirechat_owner=[A-Za-z0-9_-]{22};", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(cookie, Assert.Single((await client.GetAsync("/api/conversations", TestContext.Current.CancellationToken)).Headers.GetValues("Set-Cookie")));
    }

    [Fact]
    public async Task TheCookieIsSecureWhenTheBrowserUsedHttps()
    {
        using var client = _factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = false });
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");

        using var response = await client.GetAsync("/api/conversations", TestContext.Current.CancellationToken);

        Assert.Contains("secure", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ListGetAndDeleteSeeOnlyTheCallersConversations()
    {
        var alice = await _factory.NewOwnerCookieAsync();
        var bob = await _factory.NewOwnerCookieAsync();
        var aliceFirst = await ChatAsync(alice, "Alice's first");
        var aliceSecond = await ChatAsync(alice, "Alice's second");
        var bobs = await ChatAsync(bob, "Bob's");
        using var asAlice = _factory.CreateClient(alice);
        using var asBob = _factory.CreateClient(bob);

        var list = await asAlice.GetFromJsonAsync<JsonArray>("/api/conversations", TestContext.Current.CancellationToken);
        Assert.Equal([aliceSecond, aliceFirst], list!.Select(c => (string?)c!["id"]));
        Assert.Equal(2, (int)list![0]!["messageCount"]!);
        Assert.Equal("Alice's second", (string?)list[0]!["title"]);

        var conversation = await asAlice.GetFromJsonAsync<JsonObject>($"/api/conversations/{aliceFirst}", TestContext.Current.CancellationToken);
        Assert.Equal(["user", "assistant"], conversation!["messages"]!.AsArray().Select(m => (string?)m!["role"]));

        Assert.Equal(HttpStatusCode.NotFound, (await asBob.GetAsync($"/api/conversations/{aliceFirst}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await asBob.DeleteAsync($"/api/conversations/{aliceFirst}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal([bobs], (await asBob.GetFromJsonAsync<JsonArray>("/api/conversations", TestContext.Current.CancellationToken))!.Select(c => (string?)c!["id"]));

        Assert.Equal(HttpStatusCode.NoContent, (await asAlice.DeleteAsync($"/api/conversations/{aliceFirst}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await asAlice.GetAsync($"/api/conversations/{aliceFirst}", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await asAlice.DeleteAsync($"/api/conversations/{aliceFirst}", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Theory]
    [InlineData("not-an-id")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]
    public async Task AnUnknownOrMalformedIdIsNotFound(string id)
    {
        using var client = _factory.CreateClient(await _factory.NewOwnerCookieAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/conversations/{id}", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task ConversationIdsAreUnguessable128BitValues()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        var ids = new HashSet<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await ChatAsync(cookie, $"m{i}"));
        }

        Assert.Equal(5, ids.Count);
        Assert.All(ids, id => Assert.Equal(16, Convert.FromBase64String(id.Replace('-', '+').Replace('_', '/') + "==").Length));
    }

    private async Task<string> ChatAsync(string cookie, string content)
    {
        await using var socket = await _factory.ConnectAsync(cookie);
        await socket.SendMessageAsync(content);
        var frames = await socket.ReceiveReplyAsync();
        Assert.Equal("end", (string?)frames[^1]["type"]);
        return (string)frames[0]["conversationId"]!;
    }
}

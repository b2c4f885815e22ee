using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.Conversations;
using AspireChat.Tests.Fakes;
using AspireChat.Tests.Fixtures;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.Integration.Shares;

/// <summary>The share endpoints through ChatApi's HTTP API, with the in-memory stores (Redis: RedisShareStoreTests).</summary>
public sealed class SharesApiTests : IAsyncDisposable
{
    private readonly AdjustableTime _time = new(DateTimeOffset.UtcNow);
    private readonly ChatApiFactory _factory;

    public SharesApiTests() =>
        _factory = new ChatApiFactory(new() { ["Shares:PerHour"] = "5" }, services => services.AddSingleton<TimeProvider>(_time));

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task ASharedBranchIsReadWithoutACookieAndNamesNoOwnerNoConversationAndNoOtherBranch()
    {
        var (owner, cookie) = await _factory.NewOwnerAsync();
        await using var socket = await _factory.ConnectAsync(cookie);
        await socket.SendMessageAsync("The first branch's question", id: "u-1");
        var first = await socket.ReceiveReplyAsync();
        var conversationId = (string)first[0]["conversationId"]!;
        await socket.SendAsync(new { type = "edit", conversationId, messageId = "u-1", content = "The <script>alert(1)</script> branch on screen", id = "u-2" });
        await socket.ReceiveReplyAsync();

        using var created = await owner.PostAsync($"/api/conversations/{conversationId}/share", null, Token);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var share = (await created.Content.ReadFromJsonAsync<JsonObject>(Token))!;
        var shareId = (string)share["shareId"]!;
        Assert.Equal(24, shareId.Length);
        Assert.Equal($"/api/shares/{shareId}", created.Headers.Location!.OriginalString);
        Assert.EndsWith($"/s/{shareId}", (string?)share["url"], StringComparison.Ordinal);

        using var anonymous = _factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var read = await anonymous.GetAsync($"/api/shares/{shareId}", Token);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.False(read.Headers.Contains("Set-Cookie"), "Reading a share must not mint an owner.");
        Assert.Equal("noindex, nofollow", read.Headers.GetValues("X-Robots-Tag").Single());
        Assert.True(read.Headers.CacheControl!.NoStore);
        var json = await read.Content.ReadAsStringAsync(Token);
        var body = JsonNode.Parse(json)!.AsObject();
        Assert.Equal(["title", "sharedAt", "expiresAt", "messages"], body.Select(p => p.Key));
        var messages = body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant"], messages.Select(m => (string)m!["role"]!));
        Assert.Equal("The <script>alert(1)</script> branch on screen", (string?)messages[0]!["content"]);
        Assert.All(messages, m => Assert.Equal(["role", "content", "createdAt"], m!.AsObject().Select(p => p.Key)));
        var ownerId = cookie.Split('=')[1];
        Assert.DoesNotContain(ownerId, json, StringComparison.Ordinal);
        Assert.DoesNotContain(conversationId, json, StringComparison.Ordinal);
        // The title is the conversation's (made from its first message); no message of the other branch is there.
        Assert.DoesNotContain("first branch", messages.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("u-2", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LaterMessagesDoNotChangeAShare()
    {
        var (owner, cookie) = await _factory.NewOwnerAsync();
        var conversationId = await _factory.ChatAsync(cookie, "Before the share");
        var shareId = await ShareAsync(owner, conversationId);

        await _factory.ChatAsync(cookie, "After the share", conversationId);

        var messages = await ReadShareAsync(shareId);
        Assert.Equal(2, messages.Count);
        Assert.Equal("Before the share", (string?)messages[0]!["content"]);
    }

    [Fact]
    public async Task SharingAnotherOwnersOrAMissingConversationIs404()
    {
        var (owner, cookie) = await _factory.NewOwnerAsync();
        var conversationId = await _factory.ChatAsync(cookie, "Mine");
        var (stranger, _) = await _factory.NewOwnerAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PostAsync($"/api/conversations/{conversationId}/share", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.PostAsync($"/api/conversations/{ConversationIds.New()}/share", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.PostAsync("/api/conversations/not-an-id/share", null, Token)).StatusCode);
        Assert.Empty((await stranger.GetFromJsonAsync<JsonArray>("/api/shares", Token))!);
    }

    [Fact]
    public async Task RevokingSomeoneElsesShareIs404AndLeavesItOpen()
    {
        var (owner, cookie) = await _factory.NewOwnerAsync();
        var shareId = await ShareAsync(owner, await _factory.ChatAsync(cookie, "Shared"));
        var (stranger, _) = await _factory.NewOwnerAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync($"/api/shares/{shareId}", Token)).StatusCode);

        Assert.Single(await ReadShareAsync(shareId), m => (string?)m!["role"] == "user");
    }

    [Fact]
    public async Task ARevokedShareIs404AtOnceAndLeavesTheOwnersList()
    {
        var (owner, cookie) = await _factory.NewOwnerAsync();
        var conversationId = await _factory.ChatAsync(cookie, "Shared then revoked");
        var shareId = await ShareAsync(owner, conversationId);
        var listed = Assert.Single((await owner.GetFromJsonAsync<JsonArray>("/api/shares", Token))!)!;
        Assert.Equal(shareId, (string?)listed["shareId"]);
        Assert.Equal(conversationId, (string?)listed["conversationId"]);
        Assert.Equal("Shared then revoked", (string?)listed["title"]);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/shares/{shareId}", Token)).StatusCode);

        using var anonymous = _factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/shares/{shareId}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsync($"/api/shares/{shareId}/copy", null, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.DeleteAsync($"/api/shares/{shareId}", Token)).StatusCode);
        Assert.Empty((await owner.GetFromJsonAsync<JsonArray>("/api/shares", Token))!);
    }

    [Fact]
    public async Task AnExpiredShareIs404AndLeavesTheOwnersList()
    {
        var (owner, cookie) = await _factory.NewOwnerAsync();
        var shareId = await ShareAsync(owner, await _factory.ChatAsync(cookie, "Shared for thirty days"));
        _time.Advance(TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1));
        Assert.NotEmpty(await ReadShareAsync(shareId));

        _time.Advance(TimeSpan.FromSeconds(2));

        using var anonymous = _factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/api/shares/{shareId}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsync($"/api/shares/{shareId}/copy", null, Token)).StatusCode);
        Assert.Empty((await owner.GetFromJsonAsync<JsonArray>("/api/shares", Token))!);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("..%2F..%2Fapi%2Fconversations")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAA%2500")]
    [InlineData("{x}:aspirechat:owner")]
    public async Task AShareIdOfTheWrongShapeIs404NotA500(string shareId)
    {
        var (owner, _) = await _factory.NewOwnerAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"/api/shares/{shareId}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.DeleteAsync($"/api/shares/{shareId}", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.PostAsync($"/api/shares/{shareId}/copy", null, Token)).StatusCode);
    }

    [Fact]
    public async Task AVeryLongShareIdIs404()
    {
        var (owner, _) = await _factory.NewOwnerAsync();

        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"/api/shares/{new string('A', 4000)}", Token)).StatusCode);
    }

    [Fact]
    public async Task MakingMoreSharesThanSharesPerHourIs429WithRetryAfterForThatOwnerOnly()
    {
        var (owner, cookie) = await _factory.NewOwnerAsync();
        var conversationId = await _factory.ChatAsync(cookie, "Popular");
        for (var i = 0; i < 5; i++)
        {
            await ShareAsync(owner, conversationId);
        }

        using var refused = await owner.PostAsync($"/api/conversations/{conversationId}/share", null, Token);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("rate_limited", (string?)(await refused.Content.ReadFromJsonAsync<JsonObject>(Token))!["title"]);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromHours(1));
        Assert.Equal(5, (await owner.GetFromJsonAsync<JsonArray>("/api/shares", Token))!.Count);
        var (other, otherCookie) = await _factory.NewOwnerAsync();
        await ShareAsync(other, await _factory.ChatAsync(otherCookie, "Someone else's"));

        // Revoking does not give the hour back; the hour passing does.
        _time.Advance(TimeSpan.FromMinutes(61));
        await ShareAsync(owner, conversationId);
    }

    [Fact]
    public async Task ACopyIsANewConversationOfTheReadersOwnAndTheOriginalIsUntouched()
    {
        var (owner, cookie) = await _factory.NewOwnerAsync();
        var conversationId = await _factory.ChatAsync(cookie, "Copy me");
        await _factory.ChatAsync(cookie, "And my second question", conversationId);
        var shareId = await ShareAsync(owner, conversationId);
        var shared = await ReadShareAsync(shareId);

        using var reader = _factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var copied = await reader.PostAsync($"/api/shares/{shareId}/copy", null, Token);

        Assert.Equal(HttpStatusCode.Created, copied.StatusCode);
        var readerCookie = copied.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var copyId = (string)(await copied.Content.ReadFromJsonAsync<JsonObject>(Token))!["conversationId"]!;
        Assert.NotEqual(conversationId, copyId);
        var copy = (await _factory.GetConversationAsync(readerCookie, copyId))!;
        Assert.Equal("Copy me", (string?)copy["title"]);
        Assert.Equal(shared.Select(m => ((string?)m!["role"], (string?)m["content"])), copy["messages"]!.AsArray().Select(m => ((string?)m!["role"], (string?)m["content"])));
        Assert.Null(await _factory.GetConversationAsync(cookie, copyId));
        Assert.Equal(4, (await _factory.GetConversationAsync(cookie, conversationId))!["messages"]!.AsArray().Count);
    }

    private static async Task<string> ShareAsync(HttpClient owner, string conversationId)
    {
        using var response = await owner.PostAsync($"/api/conversations/{conversationId}/share", null, Token);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)(await response.Content.ReadFromJsonAsync<JsonObject>(Token))!["shareId"]!;
    }

    private async Task<JsonArray> ReadShareAsync(string shareId)
    {
        using var anonymous = _factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        var share = await anonymous.GetFromJsonAsync<JsonObject>($"/api/shares/{shareId}", Token);
        return share!["messages"]!.AsArray();
    }
}

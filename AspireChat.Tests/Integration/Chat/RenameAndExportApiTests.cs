using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.Conversations;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Integration.Redis;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.Integration.Chat;

/// <summary><c>PATCH /api/conversations/{id}</c> and <c>GET /api/conversations/{id}/export</c>.</summary>
public sealed class RenameAndExportApiTests : IAsyncLifetime
{
    private readonly ChatApiFactory _factory = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task ARenamedTitleIsTrimmedStoredAsTextAndListed()
    {
        var (client, id) = await ConversationAsync();

        using var response = await client.PatchAsJsonAsync($"/api/conversations/{id}", new { title = "  <img src=x onerror=alert(1)> & friends\n" }, Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("<img src=x onerror=alert(1)> & friends", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>(Token))!["title"]);
        var listed = await client.GetFromJsonAsync<JsonArray>("/api/conversations", Token);
        Assert.Equal("<img src=x onerror=alert(1)> & friends", (string?)listed![0]!["title"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\n\t\r\n")]
    [InlineData(null)]
    public async Task AnEmptyOrWhiteSpaceTitleIsRefusedWithAClearErrorAndTheTitleIsKept(string? title)
    {
        var (client, id) = await ConversationAsync();

        using var response = await client.PatchAsJsonAsync($"/api/conversations/{id}", new { title }, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>(Token);
        Assert.Equal("invalid_title", (string?)problem!["title"]);
        Assert.Equal("A title needs at least one visible character.", (string?)problem["errors"]!["title"]![0]);
        Assert.Equal("Hello there", (string?)(await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{id}", Token))!["title"]);
    }

    [Fact]
    public async Task ATenThousandCharacterTitleIsCutToTheLimit()
    {
        var (client, id) = await ConversationAsync();

        using var response = await client.PatchAsJsonAsync($"/api/conversations/{id}", new { title = new string('x', 9_999) + "😀" }, Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var title = (string?)(await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{id}", Token))!["title"];
        Assert.Equal(new string('x', new ConversationOptions().MaxTitleLength), title);
    }

    [Fact]
    public async Task AnotherOwnersOrAnUnknownConversationCannotBeRenamedOrExported()
    {
        var (owner, id) = await ConversationAsync();
        using var stranger = _factory.CreateClient(await _factory.NewOwnerCookieAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PatchAsJsonAsync($"/api/conversations/{id}", new { title = "Mine" }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/api/conversations/{id}/export?format=json", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.PatchAsJsonAsync($"/api/conversations/{ConversationIds.New()}", new { title = "x" }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/api/conversations/not-an-id/export", Token)).StatusCode);
        Assert.Equal("Hello there", (string?)(await owner.GetFromJsonAsync<JsonObject>($"/api/conversations/{id}", Token))!["title"]);
    }

    [Theory]
    [InlineData("format=pdf")]
    [InlineData("format=md&branches=some")]
    public async Task AnUnknownFormatOrBranchChoiceIsABadRequest(string query)
    {
        var (client, id) = await ConversationAsync();

        using var response = await client.GetAsync($"/api/conversations/{id}/export?{query}", Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AnExportOf200MessagesWith20BranchesIsCompleteAsJsonAndMarkdownForTheActiveBranchOrTheWholeTree()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        var owner = cookie.Split('=')[1];
        var store = _factory.Services.GetRequiredService<IConversationStore>();
        var conversation = await store.CreateAsync(owner, "Two hundred", Token);
        var expected = await RedisConversationTreeTests.BuildTwoHundredMessagesWithTwentyBranchesAsync(store, conversation.Id, owner);
        using var client = _factory.CreateClient(cookie);

        using var json = await client.GetAsync($"/api/conversations/{conversation.Id}/export?format=json&branches=all", Token);
        using var activeJson = await client.GetAsync($"/api/conversations/{conversation.Id}/export?format=json", Token);
        using var markdown = await client.GetAsync($"/api/conversations/{conversation.Id}/export", Token);

        Assert.Equal("application/json", json.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"conversation-{conversation.Id}.json", json.Content.Headers.ContentDisposition!.FileNameStar ?? json.Content.Headers.ContentDisposition.FileName);
        var tree = (await json.Content.ReadFromJsonAsync<JsonObject>(Token))!;
        Assert.Equal("all", (string?)tree["branches"]);
        Assert.Equal("a89", (string?)tree["activeLeafId"]);
        var messages = tree["messages"]!.AsArray();
        Assert.Equal(200, messages.Count);
        Assert.All(messages, m => Assert.Equal(expected[(string)m!["id"]!], ((string?)m["parentId"], (string)m["content"]!)));

        var active = (await activeJson.Content.ReadFromJsonAsync<JsonObject>(Token))!["messages"]!.AsArray();
        Assert.Equal(180, active.Count);
        Assert.Equal("u0", (string?)active[0]!["id"]);
        Assert.Equal("a89", (string?)active[^1]!["id"]);

        Assert.Equal("text/markdown", markdown.Content.Headers.ContentType!.MediaType);
        var text = await markdown.Content.ReadAsStringAsync(Token);
        Assert.StartsWith("# Two hundred", text, StringComparison.Ordinal);
        Assert.Equal(180, text.Split('\n').Count(l => l.StartsWith("## ", StringComparison.Ordinal)));
        Assert.Contains("Answer 89", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Answer to the edit", text, StringComparison.Ordinal);
    }

    private async Task<(HttpClient Client, string Id)> ConversationAsync()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        await using var socket = await _factory.ConnectAsync(cookie);
        await socket.SendMessageAsync("Hello there");
        var frames = await socket.ReceiveReplyAsync();
        Assert.Equal("end", (string?)frames[^1]["type"]);
        return (_factory.CreateClient(cookie), (string)frames[0]["conversationId"]!);
    }
}

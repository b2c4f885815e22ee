using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.Conversations;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.Integration.Search;

/// <summary><c>GET /api/search</c> through ChatApi's HTTP API, with the in-memory store (Redis: RedisSearchTests).</summary>
public sealed class SearchApiTests : IAsyncDisposable
{
    private readonly ChatApiFactory _factory = new(new() { ["Conversations:MaxMessages"] = "6" });

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task AWordFromAnOlderConversationIsFoundNewestFirstWithItsMatchMarkedAndNotByAnotherOwner()
    {
        var (client, cookie) = await _factory.NewOwnerAsync();
        var older = await _factory.ChatAsync(cookie, "The zebra migration crosses the Mara river");
        await _factory.ChatAsync(cookie, "Something else entirely");
        var newer = await _factory.ChatAsync(cookie, "A second zebra question");

        var results = await SearchAsync(client, "Zebra");

        Assert.Equal([newer, newer, older, older], results.Select(r => (string)r!["conversationId"]!));
        Assert.Equal(["assistant", "user", "assistant", "user"], results.Select(r => (string)r!["role"]!));
        var mine = results[3]!;
        Assert.Equal("The zebra migration crosses the Mara river", (string?)mine["snippet"]);
        Assert.Equal("The zebra migration crosses the Mara river", (string?)mine["title"]);
        var highlight = Assert.Single(mine["highlights"]!.AsArray());
        Assert.Equal("zebra", ((string)mine["snippet"]!).Substring((int)highlight!["start"]!, (int)highlight["length"]!));

        using var stranger = _factory.CreateClient(await _factory.NewOwnerCookieAsync());
        Assert.Empty(await SearchAsync(stranger, "zebra"));
    }

    [Theory]
    [InlineData("/api/search", "Type a word to search for.")]
    [InlineData("/api/search?q=", "Type a word to search for.")]
    [InlineData("/api/search?q=%20%20%09", "Type a word to search for.")]
    [InlineData("/api/search?q=.*", "A search needs at least one letter or digit; punctuation and symbols only separate words.")]
    [InlineData("/api/search?q=%28%29%5B%5D%7B%7D%7C%2A", "A search needs at least one letter or digit; punctuation and symbols only separate words.")]
    public async Task AnEmptyOrWordlessQueryIsAClear400(string path, string reason)
    {
        var (client, _) = await _factory.NewOwnerAsync();

        using var response = await client.GetAsync(path, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Token))!;
        Assert.Equal("invalid_query", (string?)problem["title"]);
        Assert.Equal(reason, (string?)problem["errors"]!["q"]![0]);
    }

    [Fact]
    public async Task AQueryOverTwoHundredCharactersIsAClear400()
    {
        var (client, _) = await _factory.NewOwnerAsync();

        using var tooLong = await client.GetAsync($"/api/search?q={new string('z', 201)}", Token);
        using var longest = await client.GetAsync($"/api/search?q={new string('z', 200)}", Token);

        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("A search is at most 200 characters.", (string?)(await tooLong.Content.ReadFromJsonAsync<JsonObject>(Token))!["errors"]!["q"]![0]);
        Assert.Equal(HttpStatusCode.OK, longest.StatusCode);
    }

    [Theory]
    [InlineData("zeb.*")]
    [InlineData("^zebra$|lion")]
    [InlineData("redis.call('FLUSHALL')")]
    [InlineData("]] .. redis.call('DEL', KEYS[1]) .. [[")]
    [InlineData("@content:{zebra*} | -lion ~hippo")]
    [InlineData("%00 zebra \\n \\0")]
    public async Task RegexLuaAndRedisSearchSyntaxIsMatchedLiterallyAndRunsNothing(string query)
    {
        var (client, cookie) = await _factory.NewOwnerAsync();
        var plain = await _factory.ChatAsync(cookie, "zebras and a lion near hippos");
        var literal = await _factory.ChatAsync(cookie, $"quoted exactly: {query}");

        using var response = await client.GetAsync($"/api/search?q={Uri.EscapeDataString(query)}", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonObject>(Token))!["results"]!.AsArray();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.Equal(literal, (string?)r!["conversationId"]));
        // Nothing was run: both conversations are there, with their messages.
        var listed = (await client.GetFromJsonAsync<JsonArray>("/api/conversations", Token))!;
        Assert.Equal([literal, plain], listed.Select(c => (string)c!["id"]!));
        Assert.All(listed, c => Assert.Equal(2, (int)c!["messageCount"]!));
    }

    [Fact]
    public async Task ARenamedTitleIsFoundAndTheOldTitleOnlyWhereMessagesHoldIt()
    {
        var (client, cookie) = await _factory.NewOwnerAsync();
        var id = await _factory.ChatAsync(cookie, "hello there");

        using var renamed = await client.PatchAsJsonAsync($"/api/conversations/{id}", new { title = "Quokka <b>facts</b>" }, Token);
        renamed.EnsureSuccessStatusCode();

        var title = Assert.Single(await SearchAsync(client, "quokka"))!;
        Assert.Equal("title", (string?)title["role"]);
        Assert.Null(title["messageId"]);
        Assert.Equal("Quokka <b>facts</b>", (string?)title["snippet"]);
        Assert.All(await SearchAsync(client, "hello"), r => Assert.NotEqual("title", (string?)r!["role"]));
    }

    [Fact]
    public async Task ADeletedConversationIsNeverFoundAgain()
    {
        var (client, cookie) = await _factory.NewOwnerAsync();
        var id = await _factory.ChatAsync(cookie, "pangolin scales");
        Assert.NotEmpty(await SearchAsync(client, "pangolin"));

        (await client.DeleteAsync($"/api/conversations/{id}", Token)).EnsureSuccessStatusCode();

        Assert.Empty(await SearchAsync(client, "pangolin"));
        Assert.Empty(await SearchAsync(client, "scales"));
    }

    [Fact]
    public async Task MessagesTrimmedByMaxMessagesAreNeverFoundAgain()
    {
        var (client, cookie) = await _factory.NewOwnerAsync();
        var owner = cookie.Split('=')[1];
        // Through the store as the chat node writes turns (the offline model would quote the first message in every reply).
        var store = _factory.Services.GetRequiredService<IConversationStore>();
        var conversation = await store.CreateAsync(owner, "Animals", Token);
        string? parent = null;
        foreach (var word in new[] { "axolotl", "capybara", "dugong" })
        {
            var user = new ConversationMessage(ConversationIds.New(), MessageRoles.User, $"Tell me about the {word}", DateTimeOffset.UtcNow, ParentId: parent);
            var reply = new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, $"The {word} is an animal.", DateTimeOffset.UtcNow);
            Assert.True(await store.AppendTurnAsync(owner, conversation.Id, user, reply, Token));
            parent = reply.Id;
        }

        Assert.Equal(2, (await SearchAsync(client, "axolotl")).Count);

        // Conversations:MaxMessages is 6: a fourth turn trims the first.
        var last = new ConversationMessage(ConversationIds.New(), MessageRoles.User, "And the echidna?", DateTimeOffset.UtcNow, ParentId: parent);
        Assert.True(await store.AppendTurnAsync(owner, conversation.Id, last, new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, "Spiny.", DateTimeOffset.UtcNow), Token));

        Assert.Empty(await SearchAsync(client, "axolotl"));
        Assert.Equal(2, (await SearchAsync(client, "capybara")).Count);
        Assert.Single(await SearchAsync(client, "echidna"));
    }

    [Fact]
    public async Task EveryBranchIsSearchedAndAResultNamesItsMessage()
    {
        var (client, cookie) = await _factory.NewOwnerAsync();
        await using var socket = await _factory.ConnectAsync(cookie);
        await socket.SendMessageAsync("narwhal tusk", id: "u-1");
        var first = await socket.ReceiveReplyAsync();
        var conversationId = (string)first[0]["conversationId"]!;
        await socket.SendAsync(new { type = "edit", conversationId, messageId = "u-1", content = "okapi stripes", id = "u-2" });
        await socket.ReceiveReplyAsync();

        var narwhal = await SearchAsync(client, "narwhal");
        var okapi = await SearchAsync(client, "okapi");

        Assert.Contains(narwhal, r => (string?)r!["messageId"] == "u-1");
        Assert.Contains(okapi, r => (string?)r!["messageId"] == "u-2");
    }

    private static async Task<JsonArray> SearchAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync($"/api/search?q={Uri.EscapeDataString(query)}", Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>(Token))!["results"]!.AsArray();
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Chat;

/// <summary>POST /api/chat: the same frames as server-sent events.</summary>
public sealed class ChatStreamApiTests : IAsyncLifetime
{
    private readonly ChatApiFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task AMessageStreamsItsReplyAsServerSentEventsAndIsSaved()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        using var client = _factory.CreateClient(cookie);

        using var response = await client.PostAsJsonAsync("/api/chat", new { content = "Over SSE", id = "s-1" }, TestContext.Current.CancellationToken);
        var events = ParseEvents(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("start", events[0].Event);
        Assert.Equal("end", events[^1].Event);
        Assert.All(events, e => Assert.Equal(e.Event, (string?)e.Data["type"]));
        Assert.Equal("s-1", (string?)events[0].Data["replyTo"]);
        var text = ChatSocketClient.TextOf(events.Select(e => e.Data));
        Assert.Contains("> Over SSE", text);
        var saved = await _factory.GetConversationAsync(cookie, (string)events[0].Data["conversationId"]!);
        Assert.Equal(text, (string?)saved!["messages"]![1]!["content"]);
    }

    [Fact]
    public async Task EmptyContentIsABadRequestAndNothingIsWritten()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        using var client = _factory.CreateClient(cookie);

        using var response = await client.PostAsJsonAsync("/api/chat", new { content = "  " }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("empty_content", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("[]", await client.GetStringAsync("/api/conversations", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AnotherOwnersConversationIsNotFound()
    {
        using var client = _factory.CreateClient(await _factory.NewOwnerCookieAsync());

        using var response = await client.PostAsJsonAsync("/api/chat", new { content = "hi", conversationId = "AAAAAAAAAAAAAAAAAAAAAA" }, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static List<(string Event, JsonObject Data)> ParseEvents(string body) =>
        [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Select(lines => (
                lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..],
                JsonNode.Parse(lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])!.AsObject()))];
}

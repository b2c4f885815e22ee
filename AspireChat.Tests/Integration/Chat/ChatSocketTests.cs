using System.Net;
using System.Net.WebSockets;
using System.Text;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Chat;

/// <summary>The WebSocket endpoint through WebApplicationFactory's in-process server.</summary>
public sealed class ChatSocketTests : IAsyncLifetime
{
    private readonly ChatApiFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task AMessageGetsAStreamedReplyFromTheOfflineModel()
    {
        await using var socket = await _factory.ConnectAsync();

        await socket.SendMessageAsync("Hello, who are you?", id: "c-1");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal("start", ChatSocketClient.TypesOf(frames).First());
        Assert.Equal("end", ChatSocketClient.TypesOf(frames).Last());
        Assert.True(frames.Count > 10, "Expected the reply in many chunks.");
        Assert.Contains("> Hello, who are you?", ChatSocketClient.TextOf(frames));
        Assert.Equal("c-1", (string?)frames[0]["replyTo"]);
        Assert.Equal("", (string?)frames[0]["content"]);
        Assert.Equal("stop", (string?)frames[^1]["finishReason"]);
        Assert.True((long)frames[^1]["usage"]!["outputTokens"]! > 10);
    }

    [Fact]
    public async Task AConversationContinuesOnALaterConnectionWithItsHistory()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        string conversationId;
        await using (var first = await _factory.ConnectAsync(cookie))
        {
            await first.SendMessageAsync("My name is Ada.");
            conversationId = (string)(await first.ReceiveReplyAsync())[0]["conversationId"]!;
        }

        await using var second = await _factory.ConnectAsync(cookie);
        await second.SendMessageAsync("What is my name?", conversationId);
        var frames = await second.ReceiveReplyAsync();

        Assert.Equal(conversationId, (string?)frames[0]["conversationId"]);
        Assert.Contains("holds 2 messages; it began with \"My name is Ada.\"", ChatSocketClient.TextOf(frames));
        var conversation = await _factory.GetConversationAsync(cookie, conversationId);
        Assert.Equal(4, conversation!["messages"]!.AsArray().Count);
    }

    [Fact]
    public async Task OneConnectionCarriesManyConversations()
    {
        await using var socket = await _factory.ConnectAsync();

        await socket.SendMessageAsync("first");
        var one = (string?)(await socket.ReceiveReplyAsync())[0]["conversationId"];
        await socket.SendMessageAsync("second");
        var two = (string?)(await socket.ReceiveReplyAsync())[0]["conversationId"];

        Assert.NotEqual(one, two);
    }

    [Theory]
    [InlineData("not json at all", "invalid_json")]
    [InlineData("""{"content":"no type"}""", "invalid_frame")]
    [InlineData("""{"type":"sing","content":"la"}""", "unknown_type")]
    [InlineData("""{"type":"message"}""", "empty_content")]
    [InlineData("""{"type":"message","content":"   "}""", "empty_content")]
    public async Task ABadFrameGetsAClearErrorTheConnectionStaysUsableAndNothingIsWritten(string text, string code)
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        await using var socket = await _factory.ConnectAsync(cookie);

        await socket.SendTextAsync(text);
        var error = await socket.ReceiveTypeAsync("error");

        Assert.Equal(code, (string?)error["code"]);
        await AssertStillUsableAndHistoryHoldsOnlyThatAsync(socket, cookie);
    }

    [Fact]
    public async Task ABinaryFrameIsRefusedAndTheConnectionStaysUsable()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        await using var socket = await _factory.ConnectAsync(cookie);

        await socket.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);

        Assert.Equal("binary_not_supported", (string?)(await socket.ReceiveTypeAsync("error"))["code"]);
        await AssertStillUsableAndHistoryHoldsOnlyThatAsync(socket, cookie);
    }

    [Fact]
    public async Task AFrameOverTheLimitIsRefusedInFullAndTheConnectionStaysUsable()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        await using var socket = await _factory.ConnectAsync(cookie);
        var huge = $$"""{"type":"message","content":"{{new string('x', 40 * 1024)}}"}""";

        // Sent in pieces, as a browser would: the server must drop every piece of it.
        var bytes = Encoding.UTF8.GetBytes(huge);
        for (var offset = 0; offset < bytes.Length; offset += 4096)
        {
            var count = Math.Min(4096, bytes.Length - offset);
            await socket.Socket.SendAsync(bytes.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == bytes.Length, CancellationToken.None);
        }

        Assert.Equal("frame_too_large", (string?)(await socket.ReceiveTypeAsync("error"))["code"]);
        await AssertStillUsableAndHistoryHoldsOnlyThatAsync(socket, cookie);
    }

    [Fact]
    public async Task AFrameOverTheLimitWithItsIdsFirstIsRefusedByIdSoTheClientKnowsWhichMessageFailed()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        await using var socket = await _factory.ConnectAsync(cookie);
        var huge = $$"""{"type":"message","id":"c-huge","conversationId":"k-huge","content":"{{new string('x', 40 * 1024)}}"}""";

        await socket.Socket.SendAsync(Encoding.UTF8.GetBytes(huge), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var error = await socket.ReceiveTypeAsync("error");
        Assert.Equal(("frame_too_large", "c-huge", "k-huge"), ((string?)error["code"], (string?)error["replyTo"], (string?)error["conversationId"]));
        await AssertStillUsableAndHistoryHoldsOnlyThatAsync(socket, cookie);
    }

    [Fact]
    public async Task AHandshakeFromAForeignOriginIsRefused()
    {
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => _factory.ConnectAsync(origin: "https://evil.example"));

        Assert.Contains("403", refused.Message);
    }

    [Fact]
    public async Task TheSameOriginAndTheAllowListPass()
    {
        await using var allowed = new ChatApiFactory(new() { ["Chat:AllowedOrigins:0"] = "https://app.example" });

        await using var same = await allowed.ConnectAsync(origin: "http://localhost");
        await using var listed = await allowed.ConnectAsync(origin: "https://app.example");

        Assert.Equal(WebSocketState.Open, same.Socket.State);
        Assert.Equal(WebSocketState.Open, listed.Socket.State);
    }

    [Fact]
    public async Task AFloodOfMessagesIsThrottledWithAnErrorThatSaysWhenToRetry()
    {
        await using var limited = new ChatApiFactory(new() { ["Chat:Limits:MessageBurst"] = "2", ["Chat:Limits:MessagesPerMinute"] = "1" });
        await using var socket = await limited.ConnectAsync();

        await socket.SendMessageAsync("one");
        await socket.ReceiveReplyAsync();
        await socket.SendMessageAsync("two");
        await socket.ReceiveReplyAsync();
        await socket.SendMessageAsync("three", id: "c-3");
        var error = await socket.ReceiveTypeAsync("error");

        Assert.Equal("rate_limited", (string?)error["code"]);
        Assert.Equal("c-3", (string?)error["replyTo"]);
        Assert.InRange((long)error["retryAfterMs"]!, 1, 60_000);
    }

    [Fact]
    public async Task AClientOverItsConnectionLimitIsToldWhenToRetryAndClosed()
    {
        await using var limited = new ChatApiFactory(new() { ["Chat:Limits:MaxConnectionsPerClient"] = "1" });
        var cookie = await limited.NewOwnerCookieAsync();
        await using var first = await limited.ConnectAsync(cookie);

        await using var second = await limited.ConnectAsync(cookie);
        var error = await second.ReceiveTypeAsync("error");
        var closed = await second.ReceiveAsync();

        Assert.Equal("too_many_connections", (string?)error["code"]);
        Assert.True((long)error["retryAfterMs"]! > 0);
        Assert.Null(closed);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, second.Socket.CloseStatus);
        await using var other = await limited.ConnectAsync(await limited.NewOwnerCookieAsync());
        await other.SendMessageAsync("another browser is not limited by the first");
        Assert.Equal("end", ChatSocketClient.TypesOf(await other.ReceiveReplyAsync()).Last());
    }

    [Fact]
    public async Task AnotherBrowsersConversationIsNotFoundOverTheSocket()
    {
        var alice = await _factory.NewOwnerCookieAsync();
        await using var aliceSocket = await _factory.ConnectAsync(alice);
        await aliceSocket.SendMessageAsync("private");
        var conversationId = (string)(await aliceSocket.ReceiveReplyAsync())[0]["conversationId"]!;

        await using var bobSocket = await _factory.ConnectAsync(await _factory.NewOwnerCookieAsync());
        await bobSocket.SendMessageAsync("let me in", conversationId);
        var error = await bobSocket.ReceiveTypeAsync("error");
        await bobSocket.SendMessageAsync("and this one?", "AAAAAAAAAAAAAAAAAAAAAA");
        var missing = await bobSocket.ReceiveTypeAsync("error");

        Assert.Equal("not_found", (string?)error["code"]);
        Assert.Equal((string?)missing["message"], (string?)error["message"]);
        Assert.Equal(2, (await _factory.GetConversationAsync(alice, conversationId))!["messages"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("another owner's")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not an id")]
    public async Task AStopForAConversationTheClientCannotSeeIsNotFoundAndStopsNothing(string target)
    {
        await using var slow = new ChatApiFactory(new() { ["Model:Offline:TokensPerSecond"] = "100" });
        await using var alice = await slow.ConnectAsync(await slow.NewOwnerCookieAsync());
        await alice.SendMessageAsync("Tell me everything");
        var conversationId = (string)(await alice.ReceiveTypeAsync("start"))["conversationId"]!;
        var named = target == "another owner's" ? conversationId : target;

        await using var bob = await slow.ConnectAsync(await slow.NewOwnerCookieAsync());
        await bob.SendAsync(new { type = "stop", conversationId = named });
        var error = await bob.ReceiveTypeAsync("error");
        var aliceReply = await alice.ReceiveReplyAsync();

        Assert.Equal(("not_found", named), ((string?)error["code"], (string?)error["conversationId"]));
        Assert.Equal("stop", (string?)aliceReply[^1]["finishReason"]);
    }

    [Fact]
    public async Task AStopOfOnesOwnConversationWithNoReplyStreamingIsSilent()
    {
        await using var socket = await _factory.ConnectAsync();
        await socket.SendMessageAsync("Hi");
        var conversationId = (string)(await socket.ReceiveReplyAsync())[0]["conversationId"]!;

        await socket.SendAsync(new { type = "stop", conversationId });
        await socket.SendMessageAsync("Again", conversationId);
        var next = await socket.ReceiveReplyAsync();

        // The first frame after the stop is the next reply's start: the stop was answered by nothing.
        Assert.Equal("start", ChatSocketClient.TypesOf(next).First());
        Assert.Equal("stop", (string?)next[^1]["finishReason"]);
    }

    [Fact]
    public async Task AClientThatLeavesMidReplyStillFindsTheWholeReplyInHistory()
    {
        await using var slow = new ChatApiFactory(new() { ["Model:Offline:TokensPerSecond"] = "100" });
        var cookie = await slow.NewOwnerCookieAsync();
        string conversationId;
        await using (var socket = await slow.ConnectAsync(cookie))
        {
            await socket.SendMessageAsync("Tell me everything");
            conversationId = (string)(await socket.ReceiveTypeAsync("start"))["conversationId"]!;
            await socket.ReceiveTypeAsync("chunk");
            socket.Socket.Abort();
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        System.Text.Json.Nodes.JsonObject? conversation;
        while ((conversation = await slow.GetConversationAsync(cookie, conversationId)) is null || conversation["messages"]!.AsArray().Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "The reply was not saved after the client left.");
            await Task.Delay(100);
        }

        var reply = conversation["messages"]![1]!;
        Assert.Equal("stop", (string?)reply["finishReason"]);
        Assert.EndsWith("user secrets.", (string?)reply["content"]);
    }

    private async Task AssertStillUsableAndHistoryHoldsOnlyThatAsync(ChatSocketClient socket, string cookie)
    {
        using var client = _factory.CreateClient(cookie);
        Assert.Equal("[]", await client.GetStringAsync("/api/conversations"));
        await socket.SendMessageAsync("still there?");
        var frames = await socket.ReceiveReplyAsync();
        Assert.Equal("end", ChatSocketClient.TypesOf(frames).Last());
        var list = await client.GetStringAsync("/api/conversations");
        Assert.Contains("still there?", list);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/conversations/{frames[0]["conversationId"]}")).StatusCode);
    }
}

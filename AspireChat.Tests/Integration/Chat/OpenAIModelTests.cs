using System.Diagnostics;
using AspireChat.MockOpenAI;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.Integration.Chat;

/// <summary>
/// ChatApi configured with an OpenAI-compatible endpoint: the real OpenAI SDK over real HTTP
/// against the mock server, including the ways a model fails.
/// </summary>
public sealed class OpenAIModelTests : IAsyncLifetime
{
    private MockOpenAIServer _mock = null!;

    public async ValueTask InitializeAsync() => _mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 8), TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _mock.DisposeAsync();

    [Fact]
    public async Task TheEndpointsStreamReachesTheClientChunkByChunkWithItsUsage()
    {
        await using var chat = Factory("gpt-test");
        await using var socket = await chat.ConnectAsync();

        await socket.SendMessageAsync("Hello model");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal(MockTokens.ExpectedText(8), ChatSocketClient.TextOf(frames));
        Assert.Equal(8, frames.Count(f => (string?)f["type"] == "chunk"));
        Assert.Equal("gpt-test", (string?)frames[0]["model"]);
        Assert.Equal("stop", (string?)frames[^1]["finishReason"]);
        Assert.Equal(8, (long)frames[^1]["usage"]!["outputTokens"]!);
        var request = Assert.Single(_mock.Requests);
        Assert.True(request.Stream);
        Assert.Equal("Bearer test-key", request.Authorization);
        Assert.Equal(["system", "user"], request.Messages.Select(m => m.Role));
        Assert.Equal("Hello model", request.Messages[^1].Content);
    }

    [Fact]
    public async Task ChunksArriveAsTheModelProducesThemNotAllAtTheEnd()
    {
        await using var chat = Factory("paced?ttft=100ms&interval=150ms&tokens=6");
        await using var socket = await chat.ConnectAsync();
        var clock = Stopwatch.StartNew();

        await socket.SendMessageAsync("pace yourself");
        var arrivals = new List<TimeSpan>();
        while (await socket.ReceiveAsync() is { } frame && (string?)frame["type"] != "end")
        {
            if ((string?)frame["type"] == "chunk")
            {
                arrivals.Add(clock.Elapsed);
            }
        }

        Assert.Equal(6, arrivals.Count);
        // 150 ms between tokens at the source: the spread must survive the relay (no buffering of the reply).
        Assert.True(arrivals[^1] - arrivals[0] >= TimeSpan.FromMilliseconds(600), $"Chunks arrived together: {string.Join(", ", arrivals.Select(a => a.TotalMilliseconds))}");
    }

    [Fact]
    public async Task HistoryIsSentToTheModelOnTheNextTurn()
    {
        await using var chat = Factory("gpt-test");
        await using var socket = await chat.ConnectAsync();
        await socket.SendMessageAsync("first");
        var conversationId = (string?)(await socket.ReceiveReplyAsync())[0]["conversationId"];

        await socket.SendMessageAsync("second", conversationId);
        await socket.ReceiveReplyAsync();

        Assert.Equal(["first", MockTokens.ExpectedText(8), "second"], _mock.Requests[^1].Messages.Skip(1).Select(m => m.Content));
    }

    [Theory]
    [InlineData("fault-http-500", "HTTP 500")]
    [InlineData("fault-http-401", "HTTP 401")]
    [InlineData("fault-http-429", "429")]
    public async Task AnHttpFailureGivesAnErrorAndAnErrorEndAndKeepsTheUserMessage(string model, string expected)
    {
        await using var chat = Factory(model);
        var cookie = await chat.NewOwnerCookieAsync();
        await using var socket = await chat.ConnectAsync(cookie);

        await socket.SendMessageAsync("will fail");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal(["start", "error", "end"], ChatSocketClient.TypesOf(frames));
        Assert.Equal("model_error", (string?)frames[1]["code"]);
        Assert.Contains(expected, (string?)frames[1]["message"]);
        Assert.Equal("error", (string?)frames[2]["finishReason"]);
        var saved = await chat.GetConversationAsync(cookie, (string)frames[0]["conversationId"]!);
        Assert.Equal("will fail", (string?)saved!["messages"]![0]!["content"]);
        Assert.Equal("error", (string?)saved["messages"]![1]!["finishReason"]);
    }

    [Theory]
    [InlineData("fault-reset-after-3", false)]
    [InlineData("fault-malformed-after-3", false)]
    [InlineData("fault-stall-after-3", false)]
    // Over HTTP/2 the server resets the one stream (RST_STREAM), not the connection other replies share.
    [InlineData("fault-reset-after-3", true)]
    [InlineData("fault-malformed-after-3", true)]
    [InlineData("fault-stall-after-3", true)]
    public async Task AStreamThatBreaksMidReplyKeepsAndMarksThePartialReply(string model, bool overHttp2)
    {
        await using var chat = overHttp2
            ? ChatApiFactory.OverOpenAI(_mock.Http2BaseAddress, model, new() { ["Model:StreamIdleTimeout"] = "00:00:01", ["Model:HttpVersionPolicy"] = "RequestVersionExact" })
            : Factory(model, new() { ["Model:StreamIdleTimeout"] = "00:00:01" });
        var cookie = await chat.NewOwnerCookieAsync();
        await using var socket = await chat.ConnectAsync(cookie);

        await socket.SendMessageAsync("break please");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal(MockTokens.ExpectedText(3), ChatSocketClient.TextOf(frames));
        Assert.Equal(["error", "end"], ChatSocketClient.TypesOf(frames).TakeLast(2));
        Assert.Equal("error", (string?)frames[^1]["finishReason"]);
        var saved = await chat.GetConversationAsync(cookie, (string)frames[0]["conversationId"]!);
        Assert.Equal((MockTokens.ExpectedText(3), "error"), ((string?)saved!["messages"]![1]!["content"], (string?)saved["messages"]![1]!["finishReason"]));
        Assert.Equal(overHttp2 ? "HTTP/2" : "HTTP/1.1", Assert.Single(_mock.Requests).Protocol);
    }

    [Fact]
    public async Task AModelThatFailsBeforeItsFirstTokenIsRetried()
    {
        await using var chat = Factory("fault-fail-then-ok-2", new() { ["Model:MaxAttempts"] = "3", ["Model:RetryWait"] = "00:00:00.050" });
        await using var socket = await chat.ConnectAsync();

        await socket.SendMessageAsync("try again");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal(3, _mock.Requests.Count);
        Assert.Equal(MockTokens.ExpectedText(8), ChatSocketClient.TextOf(frames));
        Assert.DoesNotContain("error", ChatSocketClient.TypesOf(frames));
    }

    [Fact]
    public async Task AModelThatSaysNothingTimesOut()
    {
        await using var chat = Factory("fault-stall-after-0", new() { ["Model:StreamIdleTimeout"] = "00:00:00.500", ["Model:MaxAttempts"] = "1" });
        await using var socket = await chat.ConnectAsync();

        await socket.SendMessageAsync("hello?");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal(["start", "error", "end"], ChatSocketClient.TypesOf(frames));
        Assert.Contains("sent nothing", (string?)frames[1]["message"]);
    }

    [Fact]
    public async Task TheTelemetryMiddlewareKeepsTheRepliesUpdatesWithoutTheSdksRawObjects()
    {
        await using var chat = Factory("gpt-test");
        var model = chat.Services.GetRequiredService<IChatClient>();
        // UseOpenTelemetry keeps every update it yields until the reply ends: what it yields is what it keeps.
        var telemetry = model.GetService<OpenTelemetryChatClient>() ?? throw new InvalidOperationException("No OpenTelemetry middleware in the model pipeline.");
        var sdk = model.GetService<OpenAI.Chat.ChatClient>() ?? throw new InvalidOperationException("No OpenAI ChatClient in the model pipeline.");
        List<ChatMessage> prompt = [new(ChatRole.User, "Hello model")];
        var cancellationToken = TestContext.Current.CancellationToken;

        var kept = await telemetry.GetStreamingResponseAsync(prompt, cancellationToken: cancellationToken).ToListAsync(cancellationToken);
        // The SDK's adapter on its own does attach them: the assertion below can fail.
        var raw = await sdk.AsIChatClient().GetStreamingResponseAsync(prompt, cancellationToken: cancellationToken).ToListAsync(cancellationToken);

        Assert.All(raw, update => Assert.IsType<OpenAI.Chat.StreamingChatCompletionUpdate>(update.RawRepresentation));
        Assert.All(raw.SelectMany(update => update.Contents).OfType<TextContent>(), text => Assert.IsType<OpenAI.Chat.ChatMessageContentPart>(text.RawRepresentation));
        Assert.All(kept, update => Assert.Null(update.RawRepresentation));
        Assert.All(kept.SelectMany(update => update.Contents), content => Assert.Null(content.RawRepresentation));
        // The SDK reads the response id out of every chunk into a string of its own; the kept updates share the first.
        Assert.NotSame(raw[0].ResponseId, raw[1].ResponseId);
        Assert.All(kept, update => Assert.Same(kept[0].ResponseId, update.ResponseId));
        Assert.All(kept, update => Assert.Same(kept[0].ResponseId, update.MessageId));
        Assert.Equal(MockTokens.ExpectedText(8), string.Concat(kept.Select(u => u.Text)));
        Assert.Equal(8, kept.SelectMany(u => u.Contents).OfType<UsageContent>().Single().Details.OutputTokenCount);
    }

    private ChatApiFactory Factory(string model, Dictionary<string, string?>? extra = null) =>
        ChatApiFactory.OverOpenAI(_mock.BaseAddress, model, extra);
}

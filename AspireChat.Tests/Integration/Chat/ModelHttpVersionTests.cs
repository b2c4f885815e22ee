using AspireChat.MockOpenAI;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AspireChat.Tests.Integration.Chat;

/// <summary>
/// Model:HttpVersion and Model:HttpVersionPolicy: the replies in flight share HTTP/2 connections to an endpoint that
/// speaks it, and everything else about a reply stays as over HTTP/1.1. The mock serves HTTP/1.1 on one port and
/// HTTP/2 only (cleartext, prior knowledge) on another, and records each request's protocol and connection.
/// </summary>
public sealed class ModelHttpVersionTests : IAsyncLifetime
{
    private MockOpenAIServer _mock = null!;

    public async ValueTask InitializeAsync() => _mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 8), Token);

    public ValueTask DisposeAsync() => _mock.DisposeAsync();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ByDefaultACleartextEndpointIsCalledOverHttp11()
    {
        // HTTP/2 is offered in the TLS handshake; in cleartext .NET does not guess, so "2.0 or lower" is 1.1 here.
        await using var chat = Factory(_mock.BaseAddress, "gpt-test");
        await using var socket = await chat.ConnectAsync();

        await socket.SendMessageAsync("hello");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal(MockTokens.ExpectedText(8), ChatSocketClient.TextOf(frames));
        Assert.Equal("HTTP/1.1", Assert.Single(_mock.Requests).Protocol);
    }

    [Fact]
    public async Task AnEndpointThatSpeaksOnlyHttp2IsCalledOverHttp2AndTheReplyIsTheSame()
    {
        await using var chat = Factory(_mock.Http2BaseAddress, "gpt-test", Exact);
        await using var socket = await chat.ConnectAsync();

        await socket.SendMessageAsync("hello");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal(MockTokens.ExpectedText(8), ChatSocketClient.TextOf(frames));
        Assert.Equal("stop", (string?)frames[^1]["finishReason"]);
        Assert.Equal(8, (long)frames[^1]["usage"]!["outputTokens"]!);
        Assert.Equal("HTTP/2", Assert.Single(_mock.Requests).Protocol);
    }

    [Fact]
    public async Task MoreRepliesThanAConnectionsStreamLimitAllStartAtOnceOverAFewConnections()
    {
        // Kestrel allows 100 streams on a connection, as most servers do. Replies that wait 30 s for their first
        // token hold their streams: the 101st reaches the server now only if a second connection opens for it.
        const int replies = 150;
        await using var chat = Factory(_mock.Http2BaseAddress, "mock?ttft=30s&tokens=1", Exact);
        var model = chat.Services.GetRequiredService<IChatClient>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var streams = Enumerable.Range(0, replies).Select(i => ReadAllAsync(model, $"reply {i}", stop.Token)).ToList();
        var allArrived = await WaitUntilAsync(() => _mock.Requests.Count == replies, TimeSpan.FromSeconds(20));
        var requests = _mock.Requests;
        await stop.CancelAsync();
        await Task.WhenAll(streams.Select(s => s.ContinueWith(static _ => { }, TaskScheduler.Default)));

        Assert.True(allArrived, $"{requests.Count} of {replies} requests reached the server while the first ones streamed.");
        Assert.All(requests, request => Assert.Equal("HTTP/2", request.Protocol));
        Assert.InRange(requests.Select(r => r.ConnectionId).Distinct().Count(), 2, 3);
    }

    [Fact]
    public async Task StoppingOneReplyOnASharedConnectionLeavesTheOtherStreaming()
    {
        await using var chat = Factory(_mock.Http2BaseAddress, "mock?ttft=0ms&interval=40ms&tokens=20", Exact);
        var model = chat.Services.GetRequiredService<IChatClient>();
        using var stopFirst = CancellationTokenSource.CreateLinkedTokenSource(Token);

        var first = ReadUntilStoppedAsync(model, stopFirst, afterUpdates: 3);
        var second = ReadAllAsync(model, "second", Token);
        await first;
        var secondText = await second;

        Assert.Equal(MockTokens.ExpectedText(20), secondText);
        Assert.Equal(2, _mock.Requests.Count);
        Assert.Single(_mock.Requests.Select(r => r.ConnectionId).Distinct());
    }

    [Fact]
    public async Task AskingExactlyForHttp2OfAnHttp11EndpointFailsTheReplyAndKeepsTheMessage()
    {
        await using var chat = Factory(_mock.BaseAddress, "gpt-test", new() { ["Model:HttpVersionPolicy"] = "RequestVersionExact", ["Model:MaxAttempts"] = "1" });
        var cookie = await chat.NewOwnerCookieAsync();
        await using var socket = await chat.ConnectAsync(cookie);

        await socket.SendMessageAsync("will fail");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal(["start", "error", "end"], ChatSocketClient.TypesOf(frames));
        Assert.Equal("model_error", (string?)frames[1]["code"]);
        Assert.Empty(_mock.Requests);
        var saved = await chat.GetConversationAsync(cookie, (string)frames[0]["conversationId"]!);
        Assert.Equal("will fail", (string?)saved!["messages"]![0]!["content"]);
    }

    [Theory]
    [InlineData("3.0")]
    [InlineData("1.0")]
    public void AnHttpVersionOtherThan11Or20StopsTheStartWithTheSettingsName(string version)
    {
        using var chat = Factory(_mock.BaseAddress, "gpt-test", new() { ["Model:HttpVersion"] = version });

        var error = Assert.Throws<OptionsValidationException>(() => chat.Services);

        Assert.Contains("Model:HttpVersion must be 1.1 or 2.0.", error.Message);
    }

    [Fact]
    public void AnHttpVersionThatIsNotAVersionStopsTheStartWithTheSettingsName()
    {
        using var chat = Factory(_mock.BaseAddress, "gpt-test", new() { ["Model:HttpVersion"] = "two" });

        var error = Assert.Throws<InvalidOperationException>(() => chat.Services);

        Assert.Contains("Model:HttpVersion", error.Message);
    }

    private static Dictionary<string, string?> Exact => new() { ["Model:HttpVersionPolicy"] = "RequestVersionExact" };

    private static async Task<string> ReadAllAsync(IChatClient model, string prompt, CancellationToken cancellationToken)
    {
        var text = "";
        await foreach (var update in model.GetStreamingResponseAsync(prompt, cancellationToken: cancellationToken))
        {
            text += update.Text;
        }

        return text;
    }

    private static async Task ReadUntilStoppedAsync(IChatClient model, CancellationTokenSource stop, int afterUpdates)
    {
        var updates = 0;
        try
        {
            await foreach (var update in model.GetStreamingResponseAsync("first", cancellationToken: stop.Token))
            {
                if (update.Text.Length > 0 && ++updates == afterUpdates)
                {
                    await stop.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The stop this test asked for.
        }
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            if (deadline.IsCancellationRequested)
            {
                return false;
            }

            await Task.Delay(50, Token);
        }

        return true;
    }

    private static ChatApiFactory Factory(Uri endpoint, string model, Dictionary<string, string?>? extra = null) =>
        ChatApiFactory.OverOpenAI(endpoint, model, extra);
}

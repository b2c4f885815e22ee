using System.Net.WebSockets;
using System.Text.Json.Nodes;
using AspireChat.MockOpenAI;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Contract;

/// <summary>
/// A reply that does not run to its end still shows why in its exported span: a <c>stop</c> frame
/// and a client that goes away are events on the reply span, next to the first chunk.
/// </summary>
public sealed class ReplyEventsContractTests
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AStopAndADisconnectAreEventsOnTheirReplySpans()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var otlp = await OtlpReceiver.StartAsync(cancellationToken);
        // Slow enough that the reply is still streaming when the client acts: 100 tokens, 30 ms apart.
        await using var mock = await MockOpenAIServer.StartAsync(
            new MockOpenAIOptions { TimeToFirstToken = TimeSpan.FromMilliseconds(20), TokenInterval = TimeSpan.FromMilliseconds(30), TokenCount = 100 },
            cancellationToken);
        var environment = AspireEnvironment.Merge(AspireEnvironment.Otlp(otlp, "grpc", "chatapi"), new()
        {
            ["Model__Provider"] = "openai",
            ["Model__Endpoint"] = mock.BaseAddress.ToString(),
            ["Model__ApiKey"] = "contract-test-key",
        });
        await using var chatApi = await ServiceProcess.StartAsync("AspireChat.ChatApi", environment, readyPath: "/health", cancellationToken: cancellationToken);
        var chat = new WebSocketChat(chatApi.BaseAddress);

        // Stop: the reply ends as cancelled.
        var stopped = BrowserTrace.New();
        using (var socket = await chat.ConnectAsync(cancellationToken))
        {
            var conversationId = await StartReplyAsync(socket, stopped, cancellationToken);
            await WebSocketChat.SendFrameAsync(socket, new JsonObject { ["type"] = "stop", ["conversationId"] = conversationId }, cancellationToken);
            JsonObject? end;
            do
            {
                end = await WebSocketChat.ReceiveFrameAsync(socket, cancellationToken);
            }
            while (end is not null && (string?)end["type"] != "end");
            Assert.Equal("cancelled", (string?)end?["finishReason"]);
        }

        // Disconnect: the client closes its socket mid-reply.
        var left = BrowserTrace.New();
        using (var socket = await chat.ConnectAsync(cancellationToken))
        {
            await StartReplyAsync(socket, left, cancellationToken);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "leaving", cancellationToken);
        }

        var spans = await otlp.WaitForSpansAsync(
            s => s.Any(span => span.ParentSpanId == stopped.SpanId) && s.Any(span => span.ParentSpanId == left.SpanId),
            ExportTimeout,
            cancellationToken);
        var stoppedReply = Assert.Single(spans, s => s.TraceId == stopped.TraceId && s.ParentSpanId == stopped.SpanId);
        Assert.Equal("reply", stoppedReply.Name);
        Assert.Contains(stoppedReply.Events, e => e.Name == "aspirechat.reply.first_chunk");
        Assert.Contains(stoppedReply.Events, e => e.Name == "aspirechat.reply.stop");
        Assert.Equal("cancelled", stoppedReply.Attribute("aspirechat.reply.finish_reason"));
        var leftReply = Assert.Single(spans, s => s.TraceId == left.TraceId && s.ParentSpanId == left.SpanId);
        Assert.Contains(leftReply.Events, e => e.Name == "aspirechat.client.disconnected");
    }

    /// <summary>Sends a message and reads until its first chunk; returns the conversation id.</summary>
    private static async Task<string> StartReplyAsync(ClientWebSocket socket, BrowserTrace trace, CancellationToken cancellationToken)
    {
        await WebSocketChat.SendFrameAsync(socket, new JsonObject { ["type"] = "message", ["content"] = "Tell me a long story.", ["traceparent"] = trace.Traceparent }, cancellationToken);
        while (true)
        {
            var frame = await WebSocketChat.ReceiveFrameAsync(socket, cancellationToken)
                ?? throw new InvalidOperationException("The socket closed before the reply started.");
            if ((string?)frame["type"] == "chunk")
            {
                return (string)frame["conversationId"]!;
            }

            Assert.NotEqual("error", (string?)frame["type"]);
        }
    }
}

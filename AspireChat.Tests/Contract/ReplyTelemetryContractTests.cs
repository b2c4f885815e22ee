using AspireChat.MockOpenAI;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Fixtures.Otlp;

namespace AspireChat.Tests.Contract;

/// <summary>
/// ChatApi's reply telemetry as the dashboard receives it under Aspire's environment: the offline
/// model's reply has the same span shape as an OpenAI one, and the GenAI and streaming metrics the
/// issue lists are exported.
/// </summary>
public sealed class ReplyTelemetryContractTests
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task TheOfflineModelsReplySpanHasTheShapeOfAnOpenAIOne()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var otlp = await OtlpReceiver.StartAsync(cancellationToken);
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 6), cancellationToken);

        var openAI = await ReplySpanAsync(otlp, new()
        {
            ["Model__Provider"] = "openai",
            ["Model__Endpoint"] = mock.BaseAddress.ToString(),
            ["Model__ApiKey"] = "contract-test-key",
            ["Model__Name"] = "gpt-4o-mini",
        }, cancellationToken);
        var offline = await ReplySpanAsync(otlp, new()
        {
            ["Model__Provider"] = "offline",
            ["Model__Offline__TimeToFirstToken"] = "00:00:00.020",
            ["Model__Offline__TokensPerSecond"] = "0",
        }, cancellationToken);

        Assert.StartsWith("chat ", offline.Name, StringComparison.Ordinal);
        Assert.Equal(openAI.Kind, offline.Kind);
        Assert.Equal(openAI.ScopeName, offline.ScopeName);
        Assert.Equal(openAI.Attributes.Keys.Order(StringComparer.Ordinal), offline.Attributes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(openAI.Events.Select(e => e.Name), offline.Events.Select(e => e.Name));
        Assert.Equal(offline.Attribute("gen_ai.request.model") as string, offline.Name["chat ".Length..]);
    }

    [Fact]
    public async Task ChatApiExportsTheGenAIAndStreamingMetrics()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var otlp = await OtlpReceiver.StartAsync(cancellationToken);
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 6), cancellationToken);
        await using var chatApi = await StartChatApiAsync(otlp, new()
        {
            ["Model__Provider"] = "openai",
            ["Model__Endpoint"] = mock.BaseAddress.ToString(),
            ["Model__ApiKey"] = "contract-test-key",
            ["Model__Name"] = "gpt-4o-mini",
        }, cancellationToken);
        await SendAndGetReplySpanAsync(otlp, chatApi, cancellationToken);

        string[] expected =
        [
            "gen_ai.client.operation.duration",
            "gen_ai.client.token.usage",
            "gen_ai.client.operation.time_to_first_chunk",
            "aspirechat.reply.chunks",
            "aspirechat.reply.active",
            "aspirechat.websocket.connections",
        ];
        // Metrics are exported every second (OTEL_METRIC_EXPORT_INTERVAL); wait for all of them once.
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < ExportTimeout; await Task.Delay(200, cancellationToken))
        {
            if (expected.All(name => otlp.Metrics.Any(m => m.Name == name)))
            {
                break;
            }
        }

        var received = otlp.Metrics.Where(m => m.ServiceName == "chatapi").Select(m => m.Name).ToHashSet();
        Assert.All(expected, name => Assert.True(received.Contains(name), $"Metric {name} was not exported. Received: {string.Join(", ", received.Order(StringComparer.Ordinal))}"));
    }

    /// <summary>Starts ChatApi with Aspire's OTLP environment and <paramref name="model"/>, sends one message, returns its reply span.</summary>
    private static async Task<ReceivedSpan> ReplySpanAsync(OtlpReceiver otlp, Dictionary<string, string?> model, CancellationToken cancellationToken)
    {
        await using var chatApi = await StartChatApiAsync(otlp, model, cancellationToken);
        return await SendAndGetReplySpanAsync(otlp, chatApi, cancellationToken);
    }

    private static Task<ServiceProcess> StartChatApiAsync(OtlpReceiver otlp, Dictionary<string, string?> model, CancellationToken cancellationToken) =>
        ServiceProcess.StartAsync("AspireChat.ChatApi", AspireEnvironment.Merge(AspireEnvironment.Otlp(otlp, "grpc", "chatapi"), model), readyPath: "/health", cancellationToken: cancellationToken);

    private static async Task<ReceivedSpan> SendAndGetReplySpanAsync(OtlpReceiver otlp, ServiceProcess chatApi, CancellationToken cancellationToken)
    {
        var browser = BrowserTrace.New();
        var reply = await new WebSocketChat(chatApi.BaseAddress).SendAsync("Hello, shape!", browser.Traceparent, cancellationToken);
        Assert.Equal("stop", reply.FinishReason);

        var spans = await otlp.WaitForSpansAsync(s => s.Any(span => span.TraceId == browser.TraceId && span.ParentSpanId == browser.SpanId), ExportTimeout, cancellationToken);
        return spans.FirstOrDefault(span => span.TraceId == browser.TraceId && span.ParentSpanId == browser.SpanId)
            ?? throw new InvalidOperationException($"No reply span arrived.{Environment.NewLine}{chatApi.Output}");
    }
}

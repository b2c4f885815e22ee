using AspireChat.MockOpenAI;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Fixtures.Otlp;

namespace AspireChat.Tests.Contract;

/// <summary>
/// ChatApi's reply telemetry as the dashboard receives it under Aspire's environment: the offline
/// model's reply and model call have the same span shape as an OpenAI one, and the GenAI metrics
/// (Microsoft.Extensions.AI's) and the streaming metrics (AspireChat's) are exported.
/// </summary>
public sealed class ReplyTelemetryContractTests
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(20);
    private const string GenAIScope = "Experimental.Microsoft.Extensions.AI";

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

        // The reply span: the same whatever the model.
        Assert.Equal(openAI.Reply.Name, offline.Reply.Name);
        Assert.Equal(openAI.Reply.Kind, offline.Reply.Kind);
        Assert.Equal(openAI.Reply.ScopeName, offline.Reply.ScopeName);
        Assert.Equal(openAI.Reply.Attributes.Keys.Order(StringComparer.Ordinal), offline.Reply.Attributes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(openAI.Reply.Events.Select(e => e.Name), offline.Reply.Events.Select(e => e.Name));

        // The model call under it: the offline model goes through the same Microsoft.Extensions.AI pipeline.
        Assert.Equal("chat gpt-4o-mini", openAI.ModelCall.Name);
        Assert.Equal("chat offline", offline.ModelCall.Name);
        Assert.Equal(openAI.ModelCall.Kind, offline.ModelCall.Kind);
        Assert.Equal(openAI.ModelCall.ScopeName, offline.ModelCall.ScopeName);
        Assert.Equal("openai", openAI.ModelCall.Attribute("gen_ai.provider.name"));
        Assert.Equal("aspirechat.offline", offline.ModelCall.Attribute("gen_ai.provider.name"));
        string[] semanticConventions =
        [
            "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.response.id",
            "gen_ai.response.finish_reasons", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
        ];
        Assert.All(semanticConventions, name =>
        {
            Assert.True(openAI.ModelCall.Attributes.ContainsKey(name), $"The OpenAI model call has no {name}.");
            Assert.True(offline.ModelCall.Attributes.ContainsKey(name), $"The offline model call has no {name}.");
        });
    }

    [Fact]
    public async Task TheModelCallsSpanOverHttp2IsTheOneOverHttp11()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var otlp = await OtlpReceiver.StartAsync(cancellationToken);
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 6), cancellationToken);
        Dictionary<string, string?> OverHttp(Uri endpoint, string policy) => new()
        {
            ["Model__Provider"] = "openai",
            ["Model__Endpoint"] = endpoint.ToString(),
            ["Model__HttpVersionPolicy"] = policy,
            ["Model__ApiKey"] = "contract-test-key",
            ["Model__Name"] = "gpt-4o-mini",
        };

        var http11 = await ReplySpanAsync(otlp, OverHttp(mock.BaseAddress, "RequestVersionOrLower"), cancellationToken);
        var http2 = await ReplySpanAsync(otlp, OverHttp(mock.Http2BaseAddress, "RequestVersionExact"), cancellationToken);

        Assert.Equal(["HTTP/1.1", "HTTP/2"], mock.Requests.Select(r => r.Protocol));
        Assert.Equal(http11.ModelCall.Name, http2.ModelCall.Name);
        Assert.Equal(http11.ModelCall.Kind, http2.ModelCall.Kind);
        Assert.Equal(http11.ModelCall.ScopeName, http2.ModelCall.ScopeName);
        Assert.Equal(http11.ModelCall.Attributes.Keys.Order(StringComparer.Ordinal), http2.ModelCall.Attributes.Keys.Order(StringComparer.Ordinal));
        string[] sameValues = ["gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.response.finish_reasons", "gen_ai.usage.output_tokens"];
        Assert.All(sameValues, name => Assert.Equal(http11.ModelCall.Attribute(name), http2.ModelCall.Attribute(name)));
        Assert.Equal(http11.Reply.Attributes.Keys.Order(StringComparer.Ordinal), http2.Reply.Attributes.Keys.Order(StringComparer.Ordinal));
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

        // The OpenTelemetry GenAI client metrics (semantic conventions 1.41, "Generative AI client metrics"), all four
        // from Microsoft.Extensions.AI's UseOpenTelemetry() around the model call; then AspireChat's own.
        (string Name, string Unit, string Scope)[] expected =
        [
            ("gen_ai.client.operation.duration", "s", GenAIScope),
            ("gen_ai.client.token.usage", "{token}", GenAIScope),
            ("gen_ai.client.operation.time_to_first_chunk", "s", GenAIScope),
            ("gen_ai.client.operation.time_per_output_chunk", "s", GenAIScope),
            ("aspirechat.reply.time_to_first_chunk", "s", "AspireChat.Chat"),
            ("aspirechat.reply.chunks", "{chunk}", "AspireChat.Chat"),
            ("aspirechat.reply.active", "{reply}", "AspireChat.Chat"),
            ("aspirechat.websocket.connections", "{connection}", "AspireChat.Chat"),
        ];
        // Metrics are exported every second (OTEL_METRIC_EXPORT_INTERVAL); wait for all of them once.
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < ExportTimeout; await Task.Delay(200, cancellationToken))
        {
            if (expected.All(e => otlp.Metrics.Any(m => m.Name == e.Name)))
            {
                break;
            }
        }

        var received = otlp.Metrics.Where(m => m.ServiceName == "chatapi").ToList();
        Assert.All(expected, e =>
        {
            var metric = received.FirstOrDefault(m => m.Name == e.Name)
                ?? throw new Xunit.Sdk.XunitException($"Metric {e.Name} was not exported. Received: {string.Join(", ", received.Select(m => m.Name).Distinct().Order(StringComparer.Ordinal))}");
            Assert.Equal(e.Unit, metric.Unit);
            Assert.Equal(e.Scope, metric.ScopeName);
        });
        // Each GenAI instrument once: nothing of AspireChat's repeats one under the same name.
        Assert.All(expected.Where(e => e.Scope == GenAIScope), e => Assert.Single(received.Where(m => m.Name == e.Name).Select(m => m.ScopeName).Distinct()));
    }

    /// <summary>Starts ChatApi with Aspire's OTLP environment and <paramref name="model"/>, sends one message, returns its reply span and model call.</summary>
    private static async Task<(ReceivedSpan Reply, ReceivedSpan ModelCall)> ReplySpanAsync(OtlpReceiver otlp, Dictionary<string, string?> model, CancellationToken cancellationToken)
    {
        await using var chatApi = await StartChatApiAsync(otlp, model, cancellationToken);
        return await SendAndGetReplySpanAsync(otlp, chatApi, cancellationToken);
    }

    private static Task<ServiceProcess> StartChatApiAsync(OtlpReceiver otlp, Dictionary<string, string?> model, CancellationToken cancellationToken) =>
        ServiceProcess.StartAsync("AspireChat.ChatApi", AspireEnvironment.Merge(AspireEnvironment.Otlp(otlp, "grpc", "chatapi"), model), readyPath: "/health", cancellationToken: cancellationToken);

    private static async Task<(ReceivedSpan Reply, ReceivedSpan ModelCall)> SendAndGetReplySpanAsync(OtlpReceiver otlp, ServiceProcess chatApi, CancellationToken cancellationToken)
    {
        var browser = BrowserTrace.New();
        var reply = await new WebSocketChat(chatApi.BaseAddress).SendAsync("Hello, shape!", browser.Traceparent, cancellationToken);
        Assert.Equal("stop", reply.FinishReason);

        var spans = await otlp.WaitForSpansAsync(
            s => s.Any(span => span.TraceId == browser.TraceId && span.ParentSpanId == browser.SpanId)
                && s.Count(span => span.TraceId == browser.TraceId && span.Name.StartsWith("chat ", StringComparison.Ordinal)) == 1,
            ExportTimeout,
            cancellationToken);
        var replySpan = spans.FirstOrDefault(span => span.TraceId == browser.TraceId && span.ParentSpanId == browser.SpanId)
            ?? throw new InvalidOperationException($"No reply span arrived.{Environment.NewLine}{chatApi.Output}");
        var modelCall = Assert.Single(spans, span => span.TraceId == browser.TraceId && span.ParentSpanId == replySpan.SpanId && span.Name.StartsWith("chat ", StringComparison.Ordinal));
        return (replySpan, modelCall);
    }
}

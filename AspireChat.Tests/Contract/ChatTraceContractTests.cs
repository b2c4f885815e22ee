using System.Net.Http.Json;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Fixtures.Otlp;

namespace AspireChat.Tests.Contract;

/// <summary>
/// Issue 5's trace contract, tested without Aspire: one user message sent through Web's /ws, with a
/// browser's traceparent, is one connected trace at the OTLP endpoint Aspire names: ChatApi's reply span,
/// Microsoft.Extensions.AI's GenAI span of the model call, the HttpClient instrumentation's request to the
/// model, and the Redis commands that stored the turn, linked to the
/// socket's own trace, which holds Web's proxy hop; over the HTTP fallback Web's hop is in the message's
/// trace itself. Over both OTLP protocols, with the API key header.
/// </summary>
public sealed class ChatTraceContractTests
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(30);
    private const string RedisScope = TraceAssert.RedisScope;
    private static readonly string[] StaticAndProbePaths = ["/", "/js/app.js", "/css/app.css", "/health", "/alive"];

    /// <summary>OTLP protocol, Redis over TLS, and the Redis topology (a cluster as a managed Redis gives it: its nodes and a password).</summary>
    public static IEnumerable<ITheoryDataRow> Cases =>
    [
        RedisTopologies.Row(RedisTopology.SingleNode, "grpc", false, RedisTopology.SingleNode),
        RedisTopologies.Row(RedisTopology.SingleNode, "http/protobuf", false, RedisTopology.SingleNode),
        RedisTopologies.Row(RedisTopology.SingleNode, "grpc", true, RedisTopology.SingleNode),
        RedisTopologies.Row(RedisTopology.Cluster, "grpc", false, RedisTopology.Cluster),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task OneMessageThroughWebIsOneConnectedTraceFromTheBrowserToTheModel(string protocol, bool redisTls, RedisTopology topology)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var cluster = topology == RedisTopology.Cluster ? await RedisCluster.StartAsync(cancellationToken: cancellationToken) : null;
        var password = cluster?.Password ?? Guid.NewGuid().ToString("N");
        await using var redis = cluster is null ? await RedisServer.StartAsync(new RedisServerOptions { Password = password, Tls = redisTls }) : null;
        var redisPorts = cluster?.Nodes.Select(n => (long)n.Port).ToList() ?? [redis!.Port];
        using var trusted = redisTls ? await TrustedCertificates.FromServerAsync(redis!.Port, cancellationToken) : null;
        // As Aspire writes them: the endpoint's host and port, the password, ssl=true for a TLS endpoint.
        var cache = cluster?.ConnectionString ?? $"localhost:{redis!.Port},password={password}" + (redisTls ? ",ssl=true" : "");
        var trust = trusted is null ? null : new Dictionary<string, string?> { ["SSL_CERT_DIR"] = trusted.CertificateDirectory };
        await using var app = await ContractApp.StartAsync(protocol, cache, trust, cancellationToken);
        var browser = BrowserTrace.New();
        using (var page = new HttpClient { BaseAddress = app.Web.BaseAddress })
        {
            // What a browser loads first: the page and a module (static files), and the probes' endpoint.
            foreach (var path in StaticAndProbePaths)
            {
                using var response = await page.GetAsync(path, cancellationToken);
                Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}.");
            }
        }

        var client = new WebSocketChat(app.Web.BaseAddress);
        var streamed = await client.SendAsync("Hello, trace!", browser.Traceparent, cancellationToken);

        // The socket's spans end when it closes (SendAsync closed it): the reply links to ChatApi's.
        // Aspire's Redis instrumentation turns profiled commands into spans every 10 s: wait for them too.
        var spans = await WaitForTraceAsync(
            app,
            browser,
            s => s.Any(span => span.ServiceName == "chatapi" && span.Attribute("http.route") is "/ws") && s.Any(span => span.TraceId == browser.TraceId && span.ScopeName == RedisScope),
            cancellationToken);
        var trace = spans.Where(s => s.TraceId == browser.TraceId).ToList();
        TraceAssert.Connected(trace, browser.SpanId);

        // Web relays the socket's frames as they are (YARP), so the reply is the browser's span's child...
        var reply = Assert.Single(trace, s => s.ScopeName == "AspireChat.Chat" && s.Name == "reply");
        Assert.Equal("chatapi", reply.ServiceName);
        Assert.Equal(browser.SpanId, reply.ParentSpanId);
        Assert.Equal(streamed.ConversationId, reply.Attribute("gen_ai.conversation.id"));
        Assert.Equal("stop", reply.Attribute("aspirechat.reply.finish_reason"));
        var timeToFirstChunk = Assert.IsType<double>(reply.Attribute("aspirechat.reply.time_to_first_chunk"));
        Assert.InRange(timeToFirstChunk, 0.0, reply.Duration.TotalSeconds);
        Assert.Contains(reply.Events, e => e.Name == "aspirechat.reply.first_chunk");

        // ...the model call under it is Microsoft.Extensions.AI's GenAI span (the semantic conventions' "chat {model}")...
        var chat = Assert.Single(trace, s => s.ScopeName == "Experimental.Microsoft.Extensions.AI");
        Assert.Equal($"chat {ContractApp.ModelName}", chat.Name);
        Assert.Equal(OtlpSpanKind.Client, chat.Kind);
        Assert.Equal(reply.SpanId, chat.ParentSpanId);
        Assert.Equal("chat", chat.Attribute("gen_ai.operation.name"));
        Assert.Equal("openai", chat.Attribute("gen_ai.provider.name"));
        Assert.Equal(ContractApp.ModelName, chat.Attribute("gen_ai.request.model"));
        // Microsoft.Extensions.AI writes the finish reasons as a JSON array in a string.
        Assert.Equal("""["stop"]""", chat.Attribute("gen_ai.response.finish_reasons"));
        Assert.IsType<long>(chat.Attribute("gen_ai.usage.input_tokens"));
        Assert.Equal(8L, chat.Attribute("gen_ai.usage.output_tokens"));

        // ...and the HTTP request to the model, from the HttpClient instrumentation, under the model call.
        var http = Assert.Single(trace, s => s.Kind == OtlpSpanKind.Client && s.ScopeName == "System.Net.Http");
        Assert.Equal(chat.SpanId, http.ParentSpanId);
        Assert.Equal((long)app.Model.BaseAddress.Port, http.Attribute("server.port"));
        Assert.Equal("POST", http.Attribute("http.request.method"));
        Assert.Equal(200L, http.Attribute("http.response.status_code"));

        // Sending the reply's frames over the WebSocket, under the reply.
        var send = Assert.Single(trace, s => s.Name == "ws send");
        Assert.Equal(reply.SpanId, send.ParentSpanId);

        // The Redis commands that stored the turn, under the reply: Aspire.StackExchange.Redis's own spans
        // (OpenTelemetry's StackExchange.Redis instrumentation), with neither the password nor user text.
        var commands = trace.Where(s => s.ScopeName == RedisScope).ToList();
        Assert.NotEmpty(commands);
        Assert.All(commands, c =>
        {
            Assert.Equal("redis", c.Attribute("db.system") ?? c.Attribute("db.system.name"));
            Assert.Contains((long)(c.Attribute("net.peer.port") ?? c.Attribute("server.port"))!, redisPorts);
            Assert.True(TraceAssert.IsDescendant(trace, c, reply.SpanId), $"{c} is not under the reply span.");
            Assert.DoesNotContain(password, string.Join(" ", c.Attributes.Select(a => $"{a.Key}={a.Value}")), StringComparison.Ordinal);
        });

        // The turn is in Redis: ChatApi reads it back with the same owner.
        using (var chatApi = client.CreateHttpClient(app.ChatApi.BaseAddress))
        {
            var conversation = System.Text.Json.Nodes.JsonNode.Parse(await chatApi.GetStringAsync($"/api/conversations/{streamed.ConversationId}", cancellationToken))!;
            var messages = conversation["messages"]!.AsArray();
            Assert.Equal(new[] { "Hello, trace!", streamed.Text }, messages.Select(m => (string)m!["content"]!));
        }

        // ...and links to the socket's span in ChatApi, whose trace is the connection's way in through Web's proxy.
        var link = Assert.Single(reply.Links);
        var socketSpan = Assert.Single(spans, s => s.SpanId == link.SpanId);
        Assert.Equal("chatapi", socketSpan.ServiceName);
        Assert.Equal("/ws", socketSpan.Attribute("http.route"));
        // The socket's request span held no request tags while the socket was open; it has them as it ends.
        Assert.Equal("/ws", socketSpan.Attribute("url.path"));
        Assert.Equal("GET", socketSpan.Attribute("http.request.method"));
        Assert.Equal(101L, socketSpan.Attribute("http.response.status_code"));
        var connection = spans.Where(s => s.TraceId == link.TraceId).ToList();
        var proxyCall = Assert.Single(connection, s => s.SpanId == socketSpan.ParentSpanId);
        Assert.Equal("web", proxyCall.ServiceName);
        Assert.Equal(OtlpSpanKind.Client, proxyCall.Kind);
        // Service discovery resolved http://chatapi to the address Aspire injected.
        Assert.Equal((long)app.ChatApi.BaseAddress.Port, proxyCall.Attribute("server.port"));
        Assert.True(connection.Any(s => s.ServiceName == "web" && s.Kind == OtlpSpanKind.Server && TraceAssert.IsDescendant(connection, proxyCall, s.SpanId)), $"Web's request span is not above its call to ChatApi.{Environment.NewLine}{TraceAssert.Describe(connection)}");

        Assert.DoesNotContain(password, app.Output, StringComparison.Ordinal);
        Assert.Equal(new[] { "chatapi" }, trace.Select(s => s.ServiceName).Distinct());
        Assert.All(app.Otlp.Requests, r => Assert.Equal(AspireEnvironment.OtlpApiKey, r.Headers["x-otlp-api-key"]));
        Assert.All(app.Otlp.Requests, r => Assert.Equal(protocol, r.Protocol));
        // Health checks and static files are left out of traces, in both services.
        Assert.DoesNotContain(spans, s => s.Attribute("url.path") is string path && (StaticAndProbePaths.Contains(path) || path == "/index.html"));
        TraceDocs.WriteIfAsked([.. connection, .. trace], $"One message over /ws, and the socket it came by (OTLP {protocol}{(redisTls ? ", Redis over TLS" : "")})");
    }

    [Fact]
    public async Task TheStreamingFallbackThroughWebContinuesTheBrowsersTraceparentHeader()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var app = await ContractApp.StartAsync("grpc", cacheConnectionString: null, chatApiEnvironment: null, cancellationToken);
        var browser = BrowserTrace.New();
        var chat = new WebSocketChat(app.Web.BaseAddress);
        using var http = chat.CreateHttpClient();

        // POST /api/chat as the page sends it when WebSockets are blocked: the trace context in the header.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat") { Content = JsonContent.Create(new { content = "Hello over SSE" }) };
        request.Headers.Add("traceparent", browser.Traceparent);
        using var response = await http.SendAsync(request, cancellationToken);
        var events = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.Contains("event: end", events, StringComparison.Ordinal);

        var spans = await WaitForTraceAsync(app, browser, s => s.Any(span => span.TraceId == browser.TraceId && span.ServiceName == "web"), cancellationToken);
        var trace = spans.Where(s => s.TraceId == browser.TraceId).ToList();
        TraceAssert.Connected(trace, browser.SpanId);
        var webServer = Assert.Single(trace, s => s.ServiceName == "web" && s.Kind == OtlpSpanKind.Server);
        Assert.Equal(browser.SpanId, webServer.ParentSpanId);
        var reply = Assert.Single(trace, s => s.ScopeName == "AspireChat.Chat" && s.Name == "reply");
        Assert.True(TraceAssert.IsDescendant(trace, reply, webServer.SpanId), $"The reply span is not under web's request span.{Environment.NewLine}{TraceAssert.Describe(trace)}");
        var modelCall = Assert.Single(trace, s => s.Name == $"chat {ContractApp.ModelName}");
        Assert.Equal(reply.SpanId, modelCall.ParentSpanId);
        Assert.Contains(trace, s => s.ServiceName == "chatapi" && s.Kind == OtlpSpanKind.Server && s.Attribute("http.route") is "/api/chat");
    }

    private static async Task<IReadOnlyList<ReceivedSpan>> WaitForTraceAsync(
        ContractApp app, BrowserTrace browser, Func<IReadOnlyList<ReceivedSpan>, bool> andAlso, CancellationToken cancellationToken)
    {
        // Done when the reply span and what else the test needs have arrived and a further export interval brought nothing new.
        var spans = await app.Otlp.WaitForSpansAsync(
            s => s.Any(span => span.TraceId == browser.TraceId && span.ScopeName == "AspireChat.Chat") && andAlso(s),
            ExportTimeout,
            cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
        spans = app.Otlp.Spans;
        Assert.True(
            spans.Any(s => s.TraceId == browser.TraceId),
            $"No span of the browser's trace {browser.TraceId} arrived; traces that did: {string.Join(", ", spans.Select(s => s.TraceId).Distinct())}.{Environment.NewLine}{app.Output}");
        return spans;
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using AspireChat.Tests.Browser;
using AspireChat.Tests.Contract;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Fixtures.Otlp;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// The AppHost as a user runs it (Aspire.Hosting.Testing, as in the Aspire starter template): the cache (a Redis
/// container, or a redis-server process where no container engine runs), chatapi and web as projects, the
/// dashboard, all wired by Aspire alone. Each test bounds its own time and fails with the resources' logs.
/// </summary>
public sealed class AppHostTests(AspireAppFixture fixture) : IClassFixture<AspireAppFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task EveryResourceBecomesHealthyAndTheDashboardAnswers()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        foreach (var resource in new[] { "cache", "chatapi", "web" })
        {
            await fixture.WaitForHealthyAsync(resource, Timeout, cancellationToken);
        }

        using var web = fixture.App.CreateHttpClient("web", "http");
        using var page = await web.GetAsync("/", cancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        // The dashboard serves its page (following its redirect to the login page where it asks for a token).
        await fixture.WaitForHealthyAsync("aspire-dashboard", Timeout, cancellationToken);
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("aspire-dashboard", out var dashboardState));
        var dashboardUrl = dashboardState.Snapshot.Urls.First(u => u.Name is "http" or "https").Url;
        using var dashboard = new HttpClient { BaseAddress = new Uri(dashboardUrl) };
        using var home = await dashboard.GetAsync("/", cancellationToken);
        var html = await home.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(home.StatusCode == HttpStatusCode.OK, $"The dashboard answered {(int)home.StatusCode}: {html}");
        Assert.Contains("Aspire", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AChatThroughWebStreamsTheReplyAndChatApiReadsTheTurnBackFromRedis()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await fixture.WaitForHealthyAsync("web", Timeout, cancellationToken);
        var chat = new WebSocketChat(fixture.App.GetEndpoint("web", "http"));

        // A chat through web's endpoint streams a reply over the WebSocket.
        var reply = await chat.SendAsync("Hello from the Aspire tests", traceparent: null, cancellationToken);
        Assert.True(reply.ChunkCount > 1, $"Expected the reply in chunks: {reply}");
        Assert.Equal("stop", reply.FinishReason);

        // The turn is in Redis: chatapi reads it back (with the same owner cookie) after the reply ended.
        var messages = await ReadMessagesAsync(chat, fixture.App.GetEndpoint("chatapi", "http"), reply.ConversationId, cancellationToken);
        Assert.Equal(["user", "assistant"], messages.Select(m => (string)m!["role"]!));
        Assert.Equal("Hello from the Aspire tests", (string?)messages[0]!["content"]);
        Assert.Equal(reply.Text, (string?)messages[1]!["content"]);
    }

    [Fact]
    public async Task AConversationSurvivesAChatApiRestartThroughTheAppModel()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await fixture.WaitForHealthyAsync("web", Timeout, cancellationToken);
        var chat = new WebSocketChat(fixture.App.GetEndpoint("web", "http"));
        var first = await chat.SendAsync("Remember this across a restart", traceparent: null, cancellationToken);

        // The dashboard's Restart button, through the app model.
        var restart = await fixture.App.ResourceCommands.ExecuteCommandAsync("chatapi", KnownResourceCommands.RestartCommand, cancellationToken);
        Assert.True(restart.Success, $"Restarting chatapi failed: {restart.Message}{Environment.NewLine}{fixture.ResourceLogs()}");
        await fixture.WaitForHealthyAsync("chatapi", Timeout, cancellationToken);

        // The new chatapi process has the turn (it lives in Redis), and the conversation goes on from it.
        var webEndpoint = fixture.App.GetEndpoint("web", "http");
        var before = await ReadMessagesAsync(chat, webEndpoint, first.ConversationId, cancellationToken);
        Assert.Equal(["Remember this across a restart", first.Text], before.Select(m => (string)m!["content"]!));
        var second = await chat.SendAsync("And after it?", traceparent: null, first.ConversationId, cancellationToken);
        Assert.Equal(first.ConversationId, second.ConversationId);
        var after = await ReadMessagesAsync(chat, webEndpoint, first.ConversationId, cancellationToken);
        Assert.Equal(4, after.Count);
    }

    [Fact]
    public async Task OneMessageThroughWebIsOneTraceFromWebThroughChatApiToTheModel()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await fixture.WaitForHealthyAsync("web", Timeout, cancellationToken);
        var browser = BrowserTrace.New();
        var chat = new WebSocketChat(fixture.App.GetEndpoint("web", "http"));
        using var http = chat.CreateHttpClient();

        // POST /api/chat as the page sends it when WebSockets are blocked, with the browser's trace context.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat") { Content = JsonContent.Create(new { content = "Trace me through Aspire" }) };
        request.Headers.Add("traceparent", browser.Traceparent);
        using var response = await http.SendAsync(request, cancellationToken);
        Assert.Contains("event: end", await response.Content.ReadAsStringAsync(cancellationToken), StringComparison.Ordinal);

        // Web's request, its call to chatapi, chatapi's request, the reply and the model call: one tree under the browser's span.
        var spans = await fixture.Otlp.WaitForSpansAsync(
            s => s.Any(span => span.TraceId == browser.TraceId && span.ServiceName == "web")
                && s.Any(span => span.TraceId == browser.TraceId && span.Name.StartsWith("chat ", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
        var trace = fixture.Otlp.Spans.Where(s => s.TraceId == browser.TraceId).ToList();
        TraceAssert.Connected(trace, browser.SpanId);
        var webServer = Assert.Single(trace, s => s.ServiceName == "web" && s.Kind == OtlpSpanKind.Server);
        var reply = Assert.Single(trace, s => s.ServiceName == "chatapi" && s.Name == "reply");
        Assert.True(TraceAssert.IsDescendant(trace, reply, webServer.SpanId), $"The reply is not under web's request.{Environment.NewLine}{TraceAssert.Describe(trace)}");
        var model = Assert.Single(trace, s => s.Name.StartsWith("chat ", StringComparison.Ordinal));
        Assert.Equal(reply.SpanId, model.ParentSpanId);

        // Exported with the key Aspire gave the services for the dashboard's OTLP endpoint.
        Assert.All(fixture.Otlp.Requests, r => Assert.False(string.IsNullOrEmpty(r.Headers["x-otlp-api-key"])));
    }

    [Fact]
    public async Task OneMessageTypedInChromiumIsOneTraceRootedAtTheBrowsersSpan()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await fixture.WaitForHealthyAsync("web", Timeout, cancellationToken);
        var browser = new BrowserFixture();
        await browser.InitializeAsync();
        try
        {
            // A user types one message in the page web serves, and closes the tab once the reply is on screen and its
            // span has been sent (the socket's spans are exported when it ends).
            await using (var context = await browser.NewContextAsync(fixture.App.GetEndpoint("web", "http")))
            {
                var page = await ChatPage.OpenAsync(context);
                await page.ChatAsync("Hello from Chromium under Aspire");
                await fixture.Otlp.WaitForSpansAsync(s => s.Any(span => span.ServiceName == "browser"), TimeSpan.FromSeconds(30), cancellationToken);
                Assert.Empty(page.Problems);
            }

            var spans = await fixture.Otlp.WaitForSpansAsync(
                s => s.FirstOrDefault(span => span.ServiceName == "browser") is { } root
                    && s.Any(span => span.Name == "reply" && span.ParentSpanId == root.SpanId)
                    && s.Any(span => span.TraceId == root.TraceId && span.Name.StartsWith("chat ", StringComparison.Ordinal))
                    && s.Any(span => span.ServiceName == "web" && span.Attribute("url.path") as string == "/ws"),
                TimeSpan.FromSeconds(30),
                cancellationToken);

            // One trace, whose only root is the browser's span: chatapi's reply under it, the model call under that.
            var browserSpan = Assert.Single(spans, s => s.ServiceName == "browser");
            var trace = spans.Where(s => s.TraceId == browserSpan.TraceId).ToList();
            Assert.True(browserSpan.IsRoot, $"The browser's span has a parent.{Environment.NewLine}{TraceAssert.Describe(trace)}");
            TraceAssert.Connected(trace, rootParentSpanId: "");
            var reply = Assert.Single(trace, s => s.ServiceName == "chatapi" && s.Name == "reply");
            Assert.Equal(browserSpan.SpanId, reply.ParentSpanId);
            var model = Assert.Single(trace, s => s.Name.StartsWith("chat ", StringComparison.Ordinal));
            Assert.Equal(reply.SpanId, model.ParentSpanId);
            Assert.Equal("message", browserSpan.Name);
            Assert.Equal("done", browserSpan.Attribute("aspirechat.reply.outcome"));

            // The reply links to the connection's trace, where web's spans are (its /ws request and its call to chatapi).
            var link = Assert.Single(reply.Links);
            // Each process exports on its own schedule once the closed tab ends the connection's spans: wait for web's too.
            spans = await fixture.Otlp.WaitForSpansAsync(
                s => s.Any(span => span.SpanId == link.SpanId)
                    && s.Count(span => span.TraceId == link.TraceId && span.ServiceName == "web") >= 2,
                TimeSpan.FromSeconds(30),
                cancellationToken);
            var connection = spans.Where(s => s.TraceId == link.TraceId).ToList();
            Assert.Contains(connection, s => s.SpanId == link.SpanId);
            Assert.Contains(connection, s => s.ServiceName == "web" && s.Kind == OtlpSpanKind.Server);
            Assert.Contains(connection, s => s.ServiceName == "web" && s.Kind == OtlpSpanKind.Client);

            // What the user saw came after what the model gave: the first chunk on screen follows the model's first token at chatapi.
            var shown = Assert.Single(browserSpan.Events, e => e.Name == "aspirechat.reply.first_chunk_shown");
            var firstToken = Assert.Single(reply.Events, e => e.Name == "aspirechat.reply.first_chunk");
            Assert.True(shown.TimeUnixNano > firstToken.TimeUnixNano, $"Shown at {shown.TimeUnixNano}, the model's first token at {firstToken.TimeUnixNano}.");
            Assert.True(browserSpan.StartUnixNano < reply.StartUnixNano && browserSpan.EndUnixNano > shown.TimeUnixNano, "The browser's span runs from the key press to the end on screen.");

            // Relayed by web with the dashboard's key, which the page never had.
            var relayed = Assert.Single(fixture.Otlp.Requests, r => r.Protocol == "http/json");
            Assert.False(string.IsNullOrEmpty(relayed.Headers["x-otlp-api-key"]));
        }
        finally
        {
            await browser.DisposeAsync();
        }
    }

    [Fact]
    public async Task WebIsHandedTheDashboardsOtlpHttpEndpointAndKeyForTheBrowsersSpans()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
            ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:4318", "AppHost:OtlpApiKey=test-key", .. AspireAppFixture.OfflineModelArgs],
            cancellationToken);
        // Built, not started: the environment each project would get, without DCP.
        await using var app = await appHost.BuildAsync(cancellationToken);
        var run = app.Services.GetRequiredService<DistributedApplicationExecutionContext>();

        var web = await EnvironmentOfAsync(appHost, "web", run, cancellationToken);
        var chatApi = await EnvironmentOfAsync(appHost, "chatapi", run, cancellationToken);

        Assert.Equal("http://localhost:4318", web["BrowserTelemetry__Endpoint"]);
        Assert.Equal("x-otlp-api-key=test-key", web["BrowserTelemetry__Headers"]);
        // chatapi's spans come from .NET over gRPC; it relays nothing.
        Assert.DoesNotContain("BrowserTelemetry__Endpoint", chatApi.Keys);
    }

    private static async Task<Dictionary<string, string>> EnvironmentOfAsync(
        IDistributedApplicationTestingBuilder appHost, string resource, DistributedApplicationExecutionContext context, CancellationToken cancellationToken)
    {
        var project = appHost.Resources.OfType<ProjectResource>().Single(r => r.Name == resource);
        var configuration = await ExecutionConfigurationBuilder.Create(project).WithEnvironmentVariablesConfig().BuildAsync(context, cancellationToken: cancellationToken);
        return configuration.EnvironmentVariables.ToDictionary(pair => pair.Key, pair => pair.Value);
    }

    internal static async Task<JsonArray> ReadMessagesAsync(WebSocketChat chat, Uri address, string conversationId, CancellationToken cancellationToken)
    {
        using var client = chat.CreateHttpClient(address);
        var conversation = JsonNode.Parse(await client.GetStringAsync($"/api/conversations/{conversationId}", cancellationToken))!;
        return conversation["messages"]!.AsArray();
    }
}

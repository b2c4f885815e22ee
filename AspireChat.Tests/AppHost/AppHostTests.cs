using System.Net;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// The AppHost as a user runs it (Aspire.Hosting.Testing, as in the Aspire starter template):
/// Redis in a container, chatapi and web as projects, wired by Aspire alone.
/// </summary>
public sealed class AppHostTests(AspireAppFixture fixture) : IClassFixture<AspireAppFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task EveryResourceBecomesHealthy()
    {
        SkipWithoutContainerRuntime();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Timeout);

        foreach (var resource in new[] { "cache", "chatapi", "web" })
        {
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
        }

        using var web = fixture.App.CreateHttpClient("web", "http");
        using var page = await web.GetAsync("/", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task AChatThroughWebStreamsTheReplyStoresTheTurnAndExportsItsTrace()
    {
        SkipWithoutContainerRuntime();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Timeout);
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("web", timeout.Token);
        var chat = new WebSocketChat(fixture.App.GetEndpoint("web", "http"));
        var trace = BrowserTrace.New();

        // A chat through web's endpoint streams a reply over the WebSocket.
        var reply = await chat.SendAsync("Hello from the Aspire tests", trace.Traceparent, timeout.Token);
        Assert.True(reply.ChunkCount > 0, $"Expected the reply in chunks: {reply}");
        Assert.Equal("stop", reply.FinishReason);

        // The turn is in Redis: chatapi reads it back (with the same owner cookie) after the reply ended.
        using var chatApi = chat.CreateHttpClient(fixture.App.GetEndpoint("chatapi", "http"));
        var conversation = JsonNode.Parse(await chatApi.GetStringAsync($"/api/conversations/{reply.ConversationId}", timeout.Token))!;
        var messages = conversation["messages"]!.AsArray();
        Assert.Equal(new[] { "user", "assistant" }, messages.Select(m => (string)m!["role"]!));
        Assert.Equal("Hello from the Aspire tests", (string?)messages[0]!["content"]);
        Assert.Equal(reply.Text, (string?)messages[1]!["content"]);

        // The trace started by the "browser" reaches the OTLP endpoint Aspire gave the services, with its key.
        var spans = await fixture.Otlp.WaitForSpansAsync(
            s => s.Any(span => span.TraceId == trace.TraceId && span.Name.StartsWith("chat ", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            timeout.Token);
        Assert.Contains(spans, span => span.TraceId == trace.TraceId && span.Name.StartsWith("chat ", StringComparison.Ordinal) && span.ServiceName == "chatapi");
        Assert.Contains(spans, span => span.TraceId == trace.TraceId && span.ServiceName == "web");
        Assert.All(fixture.Otlp.Requests, request => Assert.Equal(AspireAppFixture.OtlpApiKey, request.Headers["x-otlp-api-key"]));
    }

    private void SkipWithoutContainerRuntime()
    {
        if (fixture.SkipReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }
}

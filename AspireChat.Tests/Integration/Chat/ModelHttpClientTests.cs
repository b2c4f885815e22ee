using AspireChat.ChatApi.Models;
using AspireChat.MockOpenAI;
using AspireChat.Tests.Fixtures;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace AspireChat.Tests.Integration.Chat;

/// <summary>
/// The model's HttpClient: it comes from IHttpClientFactory with ServiceDefaults' defaults, but without their standard
/// resilience handler, whose total request timeout would cut a reply that streams longer and whose retries would
/// repeat a call under the chat node's.
/// </summary>
public sealed class ModelHttpClientTests : IAsyncLifetime
{
    private MockOpenAIServer _mock = null!;

    public async ValueTask InitializeAsync() => _mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 8), TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _mock.DisposeAsync();

    [Fact]
    public void TheModelsClientHasServiceDiscoveryButNoResilienceHandlerAndNoTimeout()
    {
        using var chatApi = new ChatApiFactory(OpenAISettings("gpt-test"));
        var handlers = chatApi.Services.GetRequiredService<IHttpMessageHandlerFactory>();

        var model = Chain(handlers.CreateHandler(ModelServiceExtensions.HttpClientName));
        var other = Chain(handlers.CreateHandler("any-other-client"));

        Assert.DoesNotContain(model, handler => handler is ResilienceHandler);
        Assert.Contains(model, handler => handler.GetType().Name == "ResolvingHttpDelegatingHandler");
        // The defaults do reach every other client: the comparison above can fail.
        Assert.Contains(other, handler => handler is ResilienceHandler);
        using var client = chatApi.Services.GetRequiredService<IHttpClientFactory>().CreateClient(ModelServiceExtensions.HttpClientName);
        Assert.Equal(Timeout.InfiniteTimeSpan, client.Timeout);
    }

    [Fact]
    public async Task AReplyThatStreamsLongerThanTheStandardHandlersTimeoutsIsNotCut()
    {
        // The standard handler's timeouts shortened to 1 s for every client (30 s and 10 s by default): a reply of
        // about 2 s is longer than both, so it would be cut if the model's client had the handler.
        await using var chatApi = new ChatApiFactory(OpenAISettings("paced?ttft=100ms&interval=150ms&tokens=14"))
            .WithWebHostBuilder(web => web.ConfigureTestServices(services => services.ConfigureAll<HttpStandardResilienceOptions>(options =>
            {
                options.AttemptTimeout.Timeout = TimeSpan.FromMilliseconds(500);
                options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(1);
                options.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(1);
            })));
        var webSocket = await chatApi.Server.CreateWebSocketClient().ConnectAsync(new Uri(chatApi.Server.BaseAddress, "/ws"), TestContext.Current.CancellationToken);
        await using var socket = new ChatSocketClient(webSocket);

        await socket.SendMessageAsync("take your time");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal("stop", (string?)frames[^1]["finishReason"]);
        Assert.Equal(14, frames.Count(f => (string?)f["type"] == "chunk"));
        Assert.Single(_mock.Requests);
    }

    private Dictionary<string, string?> OpenAISettings(string model) => new()
    {
        ["Model:Endpoint"] = _mock.BaseAddress.ToString(),
        ["Model:ApiKey"] = "test-key",
        ["Model:Name"] = model,
    };

    private static List<HttpMessageHandler> Chain(HttpMessageHandler handler)
    {
        List<HttpMessageHandler> chain = [handler];
        while (chain[^1] is DelegatingHandler { InnerHandler: { } inner })
        {
            chain.Add(inner);
        }

        return chain;
    }
}

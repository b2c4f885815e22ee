using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AspireChat.ChatApi.Models;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AIChatRole = Microsoft.Extensions.AI.ChatRole;

namespace AspireChat.Bench.Micro;

/// <summary>
/// The model's side of a token: one OpenAI <c>chat.completion.chunk</c> event, read from an in-memory HTTP response
/// and turned into what ChatApi's chat node consumes. Layer by layer, so the cost of each is the difference: the
/// OpenAI SDK alone; the SDK plus the one lookup the adapter adds to every update; Microsoft.Extensions.AI's
/// <c>AsIChatClient()</c> over the SDK; and that adapter inside ChatApi's
/// middleware (<see cref="ModelServiceExtensions.UseModelMiddleware"/>), with the GenAI activity source listened to
/// as ChatApi's tracer provider does. One operation is one token of a 500-token reply.
/// </summary>
public class ModelStreamBenchmarks
{
    private const int TokensPerReply = 500;
    private static readonly byte[] SseBody = BuildSseBody(TokensPerReply);

    private readonly List<AIChatMessage> _prompt = [new(AIChatRole.User, "Hello")];
    private readonly List<OpenAI.Chat.ChatMessage> _sdkPrompt = [new UserChatMessage("Hello")];
    private ChatClient _sdk = null!;
    private IChatClient _adapter = null!;
    private IChatClient _composed = null!;
    private ServiceProvider _services = null!;
    private ActivityListener _listener = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri("http://mock/v1/"),
            Transport = new HttpClientPipelineTransport(new HttpClient(new SseReplyHandler())),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        _sdk = new OpenAIClient(new ApiKeyCredential("unused"), options).GetChatClient("mock");
        _adapter = _sdk.AsIChatClient();
        // Logging registered without providers: ChatApi logs at Warning, so the logging middleware is there but quiet.
        _services = new ServiceCollection().AddLogging().BuildServiceProvider();
        _composed = new ChatClientBuilder(_sdk.AsIChatClient()).UseModelMiddleware().Build(_services);

        // ChatApi's tracer provider listens to the GenAI source, so UseOpenTelemetry's span is created there too.
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Experimental.Microsoft.Extensions.AI",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        _composed.Dispose();
        _services.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = TokensPerReply, Description = "OpenAI SDK: StreamingChatCompletionUpdate")]
    public async Task<int> OpenAISdk()
    {
        var characters = 0;
        await foreach (var update in _sdk.CompleteChatStreamingAsync(_sdkPrompt))
        {
            foreach (var part in update.ContentUpdate)
            {
                characters += part.Text.Length;
            }
        }

        return characters;
    }

    /// <summary>
    /// The SDK alone plus the one lookup the adapter makes of every update (for the <c>reasoning_content</c> field of
    /// DeepSeek-style servers): the SDK's <c>JsonPatch</c> walks the chunk's JSON again to answer it.
    /// </summary>
    [Benchmark(OperationsPerInvoke = TokensPerReply, Description = "OpenAI SDK + the adapter's reasoning_content lookup")]
    public async Task<int> OpenAISdkWithReasoningLookup()
    {
        var characters = 0;
        await foreach (var update in _sdk.CompleteChatStreamingAsync(_sdkPrompt))
        {
#pragma warning disable SCME0001 // JsonPatch is marked for evaluation; this is the adapter's own call.
            if (update.Patch.TryGetValue("$.choices[0].delta.reasoning_content"u8, out string? reasoning) && reasoning is not null)
#pragma warning restore SCME0001
            {
                characters += reasoning.Length;
            }

            foreach (var part in update.ContentUpdate)
            {
                characters += part.Text.Length;
            }
        }

        return characters;
    }

    [Benchmark(OperationsPerInvoke = TokensPerReply, Description = "AsIChatClient(): ChatResponseUpdate")]
    public Task<int> Adapter() => ReadAsync(_adapter);

    [Benchmark(OperationsPerInvoke = TokensPerReply, Description = "AsIChatClient() + ChatApi's middleware")]
    public Task<int> Composed() => ReadAsync(_composed);

    private async Task<int> ReadAsync(IChatClient client)
    {
        var characters = 0;
        await foreach (var update in client.GetStreamingResponseAsync(_prompt))
        {
            characters += update.Text.Length;
        }

        return characters;
    }

    /// <summary>The events the benchmark's mock model writes (bench/AspireChat.MockOpenAI), as one response body.</summary>
    private static byte[] BuildSseBody(int tokens)
    {
        const string Head = """data: {"id":"chatcmpl-mock","object":"chat.completion.chunk","created":1764720000,"model":"mock","system_fingerprint":"fp_mock","choices":[""";
        var body = new StringBuilder();
        body.Append(Head).Append("""{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}""").Append("\n\n");
        for (var i = 0; i < tokens; i++)
        {
            body.Append(Head).Append(CultureInfo.InvariantCulture, $$"""{"index":0,"delta":{"content":"tok{{i}} "},"logprobs":null,"finish_reason":null}]}""").Append("\n\n");
        }

        body.Append(Head).Append("""{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}""").Append("\n\n");
        body.Append("data: [DONE]\n\n");
        return Encoding.UTF8.GetBytes(body.ToString());
    }

    /// <summary>Answers every request with the whole reply at once: no network, so only the reading is measured.</summary>
    private sealed class SseReplyHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(SseBody);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
        }
    }
}

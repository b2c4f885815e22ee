using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace AspireChat.ChatApi.Models;

public static class ModelServiceExtensions
{
    /// <summary>The IHttpClientFactory client the OpenAI SDK sends through.</summary>
    public const string HttpClientName = "model";

    /// <summary>Registers the model seam: an <see cref="IChatClient"/> for the configured provider, with its telemetry.</summary>
    public static IHostApplicationBuilder AddChatModel(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModelOptions>()
            .BindConfiguration(ModelOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Provider != ModelProvider.OpenAI || !string.IsNullOrWhiteSpace(o.ApiKey) || o.Endpoint is not null,
                "Model:Provider is OpenAI but neither Model:ApiKey nor Model:Endpoint is set.")
            .Validate(o => o.HttpVersion == HttpVersion.Version11 || o.HttpVersion == HttpVersion.Version20,
                "Model:HttpVersion must be 1.1 or 2.0.")
            .ValidateOnStart();

        // The model's HttpClient keeps the defaults' service discovery (Model:Endpoint may name an Aspire resource,
        // http://ollama) but not their standard resilience handler: its 30 s total request timeout would cut every
        // reply that streams longer, and its retries would repeat a call under the chat node's own. The node owns
        // both instead: retries before the first token only (Model:MaxAttempts, Model:RetryWait), and a timeout
        // that is re-armed as tokens arrive (Model:StreamIdleTimeout), so no timeout here either.
        // RemoveAllResilienceHandlers is marked for evaluation (EXTEXP0001); ModelHttpClientTests fails if it stops working.
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllResilienceHandlers()
            // HTTP/2 where the endpoint offers it (Model:HttpVersion): the replies in flight share a few connections,
            // and one read of a connection brings the tokens of every reply on it, where HTTP/1.1 needs a connection,
            // a wake-up and a read per reply per token. A server allows about 100 streams on a connection; more
            // connections open beyond that rather than the next reply waiting for a stream to end.
            .UseSocketsHttpHandler((handler, _) => handler.EnableMultipleHttp2Connections = true)
            .AddHttpMessageHandler(services => new ModelHttpVersionHandler(services.GetRequiredService<IOptions<ModelOptions>>()));
#pragma warning restore EXTEXP0001

        builder.Services.AddChatClient(CreateModel).UseModelMiddleware();
        return builder;
    }

    /// <summary>What ChatApi wraps around the provider's client, outermost first.</summary>
    public static ChatClientBuilder UseModelMiddleware(this ChatClientBuilder model) => model
        // A "chat {model}" span and the gen_ai.client.* metrics per model call (the GenAI semantic conventions);
        // outermost, so the log lines below carry the span.
        .UseOpenTelemetry()
        // The first update of each call names that span, for a rating of the reply to link to it later.
        .Use(inner => new ModelSpanChatClient(inner))
        // Each call at Debug, the messages at Trace.
        .UseLogging()
        // Innermost: the provider's raw update is let go before the middlewares above keep the update.
        .Use(provider => new RawUpdateReleasingChatClient(provider));

    private static IChatClient CreateModel(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<ModelOptions>>().Value;
        return options.ResolvedProvider == ModelProvider.OpenAI
            ? CreateOpenAIClient(options, services.GetRequiredService<IHttpClientFactory>())
            : ActivatorUtilities.CreateInstance<OfflineChatClient>(services);
    }

    private static IChatClient CreateOpenAIClient(ModelOptions options, IHttpClientFactory httpClients)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Transport = new HttpClientPipelineTransport(httpClients.CreateClient(HttpClientName)),
            // The chat node owns retries (before the first token only, where a retry is safe);
            // the SDK's own would retry under it and multiply the wait.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // And the timeout: the node's idle timeout, not the SDK's 100 s per network read.
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        };
        if (options.Endpoint is not null)
        {
            clientOptions.Endpoint = options.Endpoint;
        }

        // Local servers (Ollama, vLLM) take any key, but the SDK requires one.
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "unused" : options.ApiKey;
        return new OpenAIClient(new ApiKeyCredential(key), clientOptions).GetChatClient(options.Name).AsIChatClient();
    }
}

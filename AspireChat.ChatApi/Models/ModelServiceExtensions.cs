using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;

namespace AspireChat.ChatApi.Models;

public static class ModelServiceExtensions
{
    /// <summary>The OpenAI SDK's switch for its own OpenTelemetry spans and metrics (gen_ai.*).</summary>
    private const string OpenAITelemetrySwitch = "OpenAI.Experimental.EnableOpenTelemetry";

    /// <summary>Registers the model seam: an <see cref="IChatClient"/> for the configured provider.</summary>
    public static IHostApplicationBuilder AddChatModel(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModelOptions>()
            .BindConfiguration(ModelOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Provider != ModelProvider.OpenAI || !string.IsNullOrWhiteSpace(o.ApiKey) || o.Endpoint is not null,
                "Model:Provider is OpenAI but neither Model:ApiKey nor Model:Endpoint is set.")
            .ValidateOnStart();

        AppContext.SetSwitch(OpenAITelemetrySwitch, true);
        builder.Services.AddSingleton<IChatClient>(services =>
        {
            var options = services.GetRequiredService<IOptions<ModelOptions>>().Value;
            return options.ResolvedProvider == ModelProvider.OpenAI
                ? CreateOpenAIClient(options)
                : ActivatorUtilities.CreateInstance<OfflineChatClient>(services);
        });
        return builder;
    }

    private static OpenAIChatClientAdapter CreateOpenAIClient(ModelOptions options)
    {
        var clientOptions = new OpenAIClientOptions
        {
            // The chat node owns retries (before the first token only, where a retry is safe);
            // the SDK's own would retry under it and multiply the wait.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        if (options.Endpoint is not null)
        {
            clientOptions.Endpoint = options.Endpoint;
        }

        // Local servers (Ollama, vLLM) take any key, but the SDK requires one.
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "unused" : options.ApiKey;
        var chatClient = new ChatClient(options.Name, new ApiKeyCredential(key), clientOptions);
        return new OpenAIChatClientAdapter(chatClient, options.Name, options.Endpoint);
    }
}

namespace AspireChat.AppHost;

/// <summary>
/// Which model ChatApi talks to, as AppHost parameters. Aspire has no optional parameters and
/// asks for every parameter without a value before it starts what uses it, so the OpenAI parameters
/// exist only when the user opted in: with none of them, ChatApi runs its offline model and a first
/// <c>dotnet run</c> needs nothing set up.
/// </summary>
internal static class ModelParameters
{
    /// <summary>
    /// Opted in means any of: the key in configuration (user secrets: <c>Parameters:openai-api-key</c>),
    /// <c>UseOpenAI=true</c> (the dashboard then asks for the key and can save it to user secrets), or
    /// publishing (<c>azd up</c> asks for the key once and keeps it in the azd environment).
    /// An empty key counts as no key, so <c>Parameters:openai-api-key=</c> on the command line (which
    /// wins over user secrets) turns a saved key off: the Aspire tests run the offline model that way.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithModelParameters(this IResourceBuilder<ProjectResource> chatApi)
    {
        var builder = chatApi.ApplicationBuilder;
        var configuration = builder.Configuration;
        var useOpenAI = builder.ExecutionContext.IsPublishMode
            || !string.IsNullOrEmpty(configuration["Parameters:openai-api-key"])
            || string.Equals(configuration["UseOpenAI"], "true", StringComparison.OrdinalIgnoreCase);
        if (!useOpenAI)
        {
            return chatApi.WithEnvironment("Model__Provider", "offline");
        }

        var apiKey = builder.AddParameter("openai-api-key", secret: true)
            .WithDescription("The OpenAI API key ChatApi calls the model with.");
        // The model has a default, published to the deployment manifest; configuration overrides it.
        var model = builder.AddParameter("openai-model", configuration["Parameters:openai-model"] ?? "gpt-4o-mini", publishValueAsDefault: true)
            .WithDescription("The chat model, e.g. gpt-4o-mini.");
        chatApi
            .WithEnvironment("Model__Provider", "openai")
            .WithEnvironment("Model__ApiKey", apiKey)
            .WithEnvironment("Model__Name", model);

        // Another OpenAI-compatible server (Azure OpenAI, a local one) only when one is configured.
        if (configuration["Parameters:openai-endpoint"] is not null)
        {
            chatApi.WithEnvironment("Model__Endpoint", builder.AddParameter("openai-endpoint"));
        }

        return chatApi;
    }
}

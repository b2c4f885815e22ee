using System.ComponentModel.DataAnnotations;

namespace AspireChat.ChatApi.Models;

/// <summary>Which model answers, and how it is called. Section <c>Model</c>.</summary>
public sealed class ModelOptions
{
    public const string SectionName = "Model";

    /// <summary><see cref="ModelProvider.Auto"/>: OpenAI when an API key or an endpoint is set, else the offline model.</summary>
    public ModelProvider Provider { get; set; } = ModelProvider.Auto;

    /// <summary>An OpenAI-compatible base address (Azure OpenAI's v1 endpoint, Ollama, vLLM, ...); null for api.openai.com.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The API key. Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model name sent to the endpoint.</summary>
    [Required]
    public string Name { get; set; } = "gpt-4o-mini";

    /// <summary>Caps a reply's length; null leaves it to the model.</summary>
    [Range(1, 1_000_000)]
    public int? MaxOutputTokens { get; set; }

    /// <summary>Tries of a model call that fails before its first token (the node's retries; the SDK's own are off).</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The pause between two tries.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryWait { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A stream that sends nothing for this long is abandoned as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The HTTP version asked of the endpoint: 2.0 (the default) or 1.1. Over HTTP/2 many replies share one
    /// connection to the provider, so one socket read brings the tokens of many replies (docs/design.md).
    /// </summary>
    public Version HttpVersion { get; set; } = System.Net.HttpVersion.Version20;

    /// <summary>
    /// How strictly <see cref="HttpVersion"/> holds. <see cref="HttpVersionPolicy.RequestVersionOrLower"/> (the default)
    /// speaks HTTP/2 to an https endpoint that offers it and HTTP/1.1 to any other; a cleartext endpoint that speaks
    /// HTTP/2 only (prior knowledge) needs <see cref="HttpVersionPolicy.RequestVersionExact"/>.
    /// </summary>
    public HttpVersionPolicy HttpVersionPolicy { get; set; } = HttpVersionPolicy.RequestVersionOrLower;

    public OfflineModelOptions Offline { get; set; } = new();

    /// <summary>The provider that <see cref="Provider"/> resolves to with this configuration.</summary>
    public ModelProvider ResolvedProvider => Provider switch
    {
        ModelProvider.Auto when !string.IsNullOrWhiteSpace(ApiKey) || Endpoint is not null => ModelProvider.OpenAI,
        ModelProvider.Auto => ModelProvider.Offline,
        _ => Provider,
    };
}

public enum ModelProvider
{
    Auto,
    OpenAI,
    Offline,
}

/// <summary>Pacing of the offline model, so it streams like a real one.</summary>
public sealed class OfflineModelOptions
{
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan TimeToFirstToken { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>0 streams as fast as the server can.</summary>
    [Range(0, 100_000)]
    public double TokensPerSecond { get; set; } = 40;
}

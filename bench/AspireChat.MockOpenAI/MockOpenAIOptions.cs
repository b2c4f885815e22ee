using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace AspireChat.MockOpenAI;

/// <summary>
/// The pacing every normal model streams with, unless the request's model name overrides it
/// (see docs/mock-openai.md). The defaults are the benchmark's: 200 ms to the first token, 20 ms between tokens, 50 tokens.
/// </summary>
public sealed class MockOpenAIOptions : IValidatableObject
{
    public const string SectionName = "MockOpenAI";

    public TimeSpan TimeToFirstToken { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan TokenInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    [Range(0, MockModel.MaxTokenCount)]
    public int TokenCount { get; set; } = 50;

    /// <summary>The loopback port to listen on; 0 picks a free one.</summary>
    [Range(0, 65_535)]
    public int Port { get; set; }

    /// <summary>The loopback port of the HTTP/2-only endpoint (cleartext, prior knowledge); 0 picks a free one.</summary>
    [Range(0, 65_535)]
    public int Http2Port { get; set; }

    /// <summary>
    /// Keep every parsed request in <see cref="MockOpenAIServer.Requests"/>. Tests want it; a long benchmark run
    /// turns it off so memory does not grow with the request count.
    /// </summary>
    public bool RecordRequests { get; set; } = true;

    /// <summary>Options with no delays: the fastest deterministic stream, what most tests want.</summary>
    public static MockOpenAIOptions Instant(int tokenCount = 5) => new()
    {
        TimeToFirstToken = TimeSpan.Zero,
        TokenInterval = TimeSpan.Zero,
        TokenCount = tokenCount,
    };

    /// <summary>
    /// Reads the <c>MockOpenAI</c> section, where durations may be written as <c>200ms</c> or <c>1.5s</c>
    /// (the command line maps <c>--ttft</c>, <c>--interval</c>, <c>--tokens</c> and <c>--port</c> onto it).
    /// </summary>
    public static MockOpenAIOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var options = new MockOpenAIOptions();
        if (section[nameof(TimeToFirstToken)] is { } ttft)
        {
            options.TimeToFirstToken = Durations.Parse(ttft);
        }

        if (section[nameof(TokenInterval)] is { } interval)
        {
            options.TokenInterval = Durations.Parse(interval);
        }

        if (section[nameof(TokenCount)] is { } tokens)
        {
            options.TokenCount = int.Parse(tokens, CultureInfo.InvariantCulture);
        }

        if (section[nameof(Port)] is { } port)
        {
            options.Port = int.Parse(port, CultureInfo.InvariantCulture);
        }

        if (section[nameof(Http2Port)] is { } http2Port)
        {
            options.Http2Port = int.Parse(http2Port, CultureInfo.InvariantCulture);
        }

        if (section[nameof(RecordRequests)] is { } record)
        {
            options.RecordRequests = bool.Parse(record);
        }

        return options;
    }

    /// <summary>Throws when the options cannot describe a stream: checked before the server starts.</summary>
    public void Validate()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            throw new ValidationException($"Invalid {SectionName} options: {string.Join("; ", results.Select(r => r.ErrorMessage))}");
        }
    }

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (TimeToFirstToken < TimeSpan.Zero)
        {
            yield return new ValidationResult("TimeToFirstToken must not be negative.", [nameof(TimeToFirstToken)]);
        }

        if (TokenInterval < TimeSpan.Zero)
        {
            yield return new ValidationResult("TokenInterval must not be negative.", [nameof(TokenInterval)]);
        }

        if (Port != 0 && Port == Http2Port)
        {
            yield return new ValidationResult($"Port and Http2Port must differ (both {Port}).", [nameof(Port), nameof(Http2Port)]);
        }
    }
}

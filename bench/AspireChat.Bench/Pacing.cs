using System.Globalization;

namespace AspireChat.Bench;

/// <summary>How the mock paces a reply, written into the model name ChatApi sends so one mock serves every run.</summary>
public sealed record Pacing(TimeSpan TimeToFirstToken, TimeSpan TokenInterval, int Tokens)
{
    /// <summary>The latency scenario: 200 ms to the first token, 20 ms between tokens, 50 tokens.</summary>
    public static Pacing Latency { get; } = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(20), 50);

    /// <summary>The relay ceiling: no waiting at all, 500 tokens.</summary>
    public static Pacing Ceiling { get; } = new(TimeSpan.Zero, TimeSpan.Zero, 500);

    /// <summary>The mock model name that asks for this pacing (docs/mock-openai.md).</summary>
    public string Model => string.Create(CultureInfo.InvariantCulture,
        $"mock?ttft={TimeToFirstToken.TotalMilliseconds}ms&interval={TokenInterval.TotalMilliseconds}ms&tokens={Tokens}");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{TimeToFirstToken.TotalMilliseconds:0} ms / {TokenInterval.TotalMilliseconds:0} ms / {Tokens} tokens");
}

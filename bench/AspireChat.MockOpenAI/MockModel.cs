using System.Globalization;

namespace AspireChat.MockOpenAI;

/// <summary>What a request's model asks the mock to misbehave with.</summary>
public enum MockFault
{
    /// <summary>Stream the reply normally.</summary>
    None,

    /// <summary><c>fault-http-CODE</c>: answer every request with that status and an OpenAI error body.</summary>
    HttpError,

    /// <summary><c>fault-fail-then-ok-N</c>: the first N requests for this model get 503, later ones succeed.</summary>
    FailThenOk,

    /// <summary><c>fault-reset-after-N</c>: stream N tokens, then abort the TCP connection.</summary>
    ResetAfter,

    /// <summary><c>fault-stall-after-N</c>: stream N tokens, then send nothing until the client goes away.</summary>
    StallAfter,

    /// <summary><c>fault-malformed-after-N</c>: stream N tokens, then a data line that is not JSON, and end.</summary>
    MalformedAfter,
}

/// <summary>
/// A request's model name read as instructions: <c>name[?ttft=200&amp;interval=20&amp;tokens=50&amp;retryAfter=1s]</c>.
/// Any name that does not start with <c>fault-</c> streams normally, so ChatApi's real configuration works unchanged.
/// </summary>
public sealed record MockModel(
    string Name,
    MockFault Fault,
    int FaultArgument,
    TimeSpan TimeToFirstToken,
    TimeSpan TokenInterval,
    int TokenCount,
    TimeSpan RetryAfter)
{
    public const int MaxTokenCount = 1_000_000;

    private const string FaultPrefix = "fault-";

    /// <summary>Reads <paramref name="model"/>; <paramref name="error"/> says why when it cannot.</summary>
    public static bool TryParse(string model, MockOpenAIOptions defaults, out MockModel? result, out string? error)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(defaults);
        result = null;
        var queryStart = model.IndexOf('?', StringComparison.Ordinal);
        var name = queryStart < 0 ? model : model[..queryStart];
        var query = queryStart < 0 ? "" : model[(queryStart + 1)..];

        if (!TryParseFault(name, out var fault, out var argument, out error))
        {
            return false;
        }

        var ttft = defaults.TimeToFirstToken;
        var interval = defaults.TokenInterval;
        var tokens = defaults.TokenCount;
        var retryAfter = TimeSpan.FromSeconds(1);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            var ok = key.ToUpperInvariant() switch
            {
                "TTFT" => Durations.TryParse(value, out ttft),
                "INTERVAL" => Durations.TryParse(value, out interval),
                "TOKENS" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out tokens) && tokens <= MaxTokenCount,
                "RETRYAFTER" => Durations.TryParse(value, out retryAfter),
                _ => false,
            };
            if (!ok)
            {
                error = $"The model parameter '{pair}' is not understood: use ttft, interval, retryAfter (200ms, 1s) or tokens (0..{MaxTokenCount}).";
                return false;
            }
        }

        result = new MockModel(model, fault, argument, ttft, interval, tokens, retryAfter);
        return true;
    }

    private static bool TryParseFault(string name, out MockFault fault, out int argument, out string? error)
    {
        fault = MockFault.None;
        argument = 0;
        error = null;
        if (!name.StartsWith(FaultPrefix, StringComparison.Ordinal))
        {
            return true;
        }

        var kinds = new (string Prefix, MockFault Fault, int Min, int Max)[]
        {
            ("fault-http-", MockFault.HttpError, 400, 599),
            ("fault-fail-then-ok-", MockFault.FailThenOk, 0, int.MaxValue),
            ("fault-reset-after-", MockFault.ResetAfter, 0, MaxTokenCount),
            ("fault-stall-after-", MockFault.StallAfter, 0, MaxTokenCount),
            ("fault-malformed-after-", MockFault.MalformedAfter, 0, MaxTokenCount),
        };
        foreach (var (prefix, kind, min, max) in kinds)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out argument)
                && argument >= min && argument <= max)
            {
                fault = kind;
                return true;
            }
        }

        error = $"The model '{name}' does not exist. Faults: fault-http-CODE, fault-fail-then-ok-N, fault-reset-after-N, fault-stall-after-N, fault-malformed-after-N.";
        return false;
    }
}

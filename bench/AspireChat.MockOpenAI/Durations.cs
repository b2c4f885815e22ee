using System.Globalization;

namespace AspireChat.MockOpenAI;

/// <summary>Reads the durations people type on a command line: <c>200ms</c>, <c>1.5s</c>, or a bare number of milliseconds.</summary>
public static class Durations
{
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a duration; write e.g. 200ms, 1.5s or 20 (milliseconds).");
    }

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var span = text.Trim();
        var (number, scale) = span switch
        {
            _ when span.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (span[..^2], 1.0),
            _ when span.EndsWith('s') || span.EndsWith('S') => (span[..^1], 1_000.0),
            _ => (span, 1.0),
        };

        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0 || double.IsInfinity(amount))
        {
            // hh:mm:ss as configuration binding writes it.
            return TimeSpan.TryParse(span, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
        }

        value = TimeSpan.FromMilliseconds(amount * scale);
        return true;
    }
}

using System.Text;

namespace AspireChat.MockOpenAI;

/// <summary>
/// The words the mock streams: token <c>i</c> is <c>"tok{i} "</c>, so a test can assert the exact reply
/// and tell a dropped or reordered chunk from a correct one.
/// </summary>
public static class MockTokens
{
    // Encoded once: the per-token hot path copies bytes instead of formatting strings.
    private const int CachedTokens = 4_096;
    private static readonly byte[][] EncodedCache = Enumerable.Range(0, CachedTokens).Select(EncodeJsonString).ToArray();

    /// <summary>The text of token <paramref name="index"/> (zero-based).</summary>
    public static string Token(int index) => $"tok{index} ";

    /// <summary>The full reply of <paramref name="tokenCount"/> tokens: what a client should have when the stream ends.</summary>
    public static string ExpectedText(int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenCount);
        var text = new StringBuilder();
        for (var i = 0; i < tokenCount; i++)
        {
            text.Append(Token(i));
        }

        return text.ToString();
    }

    /// <summary>Token <paramref name="index"/> as a quoted JSON string in UTF-8.</summary>
    internal static ReadOnlySpan<byte> JsonString(int index) =>
        index < CachedTokens ? EncodedCache[index] : EncodeJsonString(index);

    // The token's characters need no JSON escaping, so quoting them is enough.
    private static byte[] EncodeJsonString(int index) => Encoding.UTF8.GetBytes($"\"{Token(index)}\"");
}

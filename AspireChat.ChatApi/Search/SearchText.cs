using System.Globalization;
using System.Text;

namespace AspireChat.ChatApi.Search;

/// <summary>
/// What search takes for a word, in the index and in a query alike: a run of letters and digits (a
/// letter's combining marks included), folded to lower case without accents, so <c>Café</c>,
/// <c>CAFE</c> and <c>café</c> are one word. Each Chinese or Japanese character is a word of its own,
/// since those scripts put no spaces between words. Everything else (punctuation, symbols, white
/// space) only separates words: a query is never read as a pattern. A word longer than
/// <see cref="MaxWordLength"/> is cut to that length, in the index and in a query.
/// </summary>
public static class SearchText
{
    public const int MaxWordLength = 40;

    // Lower case without accents for the Basic Multilingual Plane's first 12,288 characters (Latin, Greek,
    // Cyrillic, ... and their accented forms); a combining mark folds to '\0' and is dropped.
    private const int FoldedRange = 0x3000;

    private static readonly char[] s_fold = BuildFoldTable();

    /// <summary>Where a word is in a text.</summary>
    public readonly record struct WordSpan(int Start, int Length);

    /// <summary>The words of <paramref name="text"/>, in order, where they are.</summary>
    public static IEnumerable<WordSpan> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var i = 0;
        while (i < text.Length)
        {
            if (!IsWordChar(text[i]))
            {
                i++;
                continue;
            }

            if (IsOwnWord(text[i]))
            {
                yield return new WordSpan(i, 1);
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && IsWordChar(text[i]) && !IsOwnWord(text[i]))
            {
                i++;
            }

            yield return new WordSpan(start, i - start);
        }
    }

    /// <summary>The distinct folded words of <paramref name="texts"/>: what the index holds for them.</summary>
    public static HashSet<string> DistinctWords(params IEnumerable<string?> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var words = new HashSet<string>(StringComparer.Ordinal);
        var lookup = words.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> buffer = stackalloc char[MaxWordLength];
        foreach (var text in texts)
        {
            if (text is null)
            {
                continue;
            }

            foreach (var word in Words(text))
            {
                var folded = Fold(text.AsSpan(word.Start, word.Length), buffer);
                if (folded.Length > 0)
                {
                    // Makes the string only for a word not seen yet.
                    lookup.Add(folded);
                }
            }
        }

        return words;
    }

    /// <summary>Folds a word into <paramref name="buffer"/> (at least <see cref="MaxWordLength"/> long): lower case, no accents, cut.</summary>
    public static ReadOnlySpan<char> Fold(ReadOnlySpan<char> word, Span<char> buffer)
    {
        var length = 0;
        foreach (var c in word)
        {
            if (length == MaxWordLength)
            {
                break;
            }

            var folded = c < FoldedRange ? s_fold[c] : char.ToLowerInvariant(c);
            if (folded != '\0')
            {
                buffer[length++] = folded;
            }
        }

        return buffer[..length];
    }

    /// <summary>A word as the index keys it.</summary>
    public static string Fold(ReadOnlySpan<char> word)
    {
        Span<char> buffer = stackalloc char[MaxWordLength];
        return Fold(word, buffer).ToString();
    }

    private static bool IsWordChar(char c) =>
        char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    /// <summary>Han ideographs, hiragana and katakana: scripts written without spaces, so each character is a word.</summary>
    private static bool IsOwnWord(char c) =>
        c is (>= '\u3040' and <= '\u30FF') or (>= '\u3400' and <= '\u4DBF') or (>= '\u4E00' and <= '\u9FFF') or (>= '\uF900' and <= '\uFAFF');

    private static char[] BuildFoldTable()
    {
        var table = new char[FoldedRange];
        for (var c = 0; c < FoldedRange; c++)
        {
            var character = (char)c;
            var category = CharUnicodeInfo.GetUnicodeCategory(character);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                table[c] = '\0';
                continue;
            }

            if (char.IsSurrogate(character))
            {
                table[c] = character;
                continue;
            }

            // The first character of the canonical decomposition is the base letter ("é" → "e" + U+0301).
            var decomposed = character.ToString().Normalize(NormalizationForm.FormD);
            table[c] = char.ToLowerInvariant(decomposed.Length > 0 ? decomposed[0] : character);
        }

        return table;
    }
}

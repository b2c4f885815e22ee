using System.Diagnostics.CodeAnalysis;

namespace AspireChat.ChatApi.Search;

/// <summary>
/// A search as the user typed it: every word must be in the message (or the title), as a whole word,
/// except the last word of a query that ends in one, which may also begin a longer word (search as you
/// type: <c>pari</c> finds <c>Paris</c>; <c>pari </c> does not). Words are taken as <see cref="SearchText"/>
/// takes them, so regular expression, Lua or Redis-search syntax in a query is only punctuation between
/// words, matched literally.
/// </summary>
public sealed class SearchQuery
{
    /// <summary>The longest query, in characters (Unicode scalar values).</summary>
    public const int MaxLength = 200;

    /// <summary>The most distinct words a query may hold.</summary>
    public const int MaxWords = 32;

    private readonly Dictionary<string, int> _words;

    private SearchQuery(IReadOnlyList<string> words, string? prefix)
    {
        Words = words;
        Prefix = prefix;
        _words = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < words.Count; i++)
        {
            _words[words[i]] = i;
        }
    }

    /// <summary>The folded words that must each be there as a whole word.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>The folded last word, when the query ends in one: it must begin a word.</summary>
    public string? Prefix { get; }

    /// <summary>Every word of the query, the prefix last: what a match's highlights are made of.</summary>
    public IEnumerable<string> AllWords => Prefix is null ? Words : Words.Append(Prefix);

    /// <summary>Reads a query, or says what is wrong with it: empty, too long, no word at all, too many words.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out SearchQuery? query, [NotNullWhen(false)] out string? error)
    {
        query = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "Type a word to search for.";
            return false;
        }

        if (text.EnumerateRunes().Count() > MaxLength)
        {
            error = $"A search is at most {MaxLength} characters.";
            return false;
        }

        var spans = SearchText.Words(text).ToList();
        if (spans.Count == 0)
        {
            error = "A search needs at least one letter or digit; punctuation and symbols only separate words.";
            return false;
        }

        var words = new List<string>();
        foreach (var span in spans)
        {
            var word = SearchText.Fold(text.AsSpan(span.Start, span.Length));
            if (word.Length > 0 && !words.Contains(word, StringComparer.Ordinal))
            {
                words.Add(word);
            }
        }

        if (words.Count == 0)
        {
            error = "A search needs at least one letter or digit; punctuation and symbols only separate words.";
            return false;
        }

        if (words.Count > MaxWords)
        {
            error = $"A search is at most {MaxWords} different words.";
            return false;
        }

        // A query that ends in the middle of a word is still being typed: its last word may go on.
        var last = spans[^1];
        string? prefix = null;
        if (last.Start + last.Length == text.Length)
        {
            prefix = SearchText.Fold(text.AsSpan(last.Start, last.Length));
            words.Remove(prefix);
        }

        query = new SearchQuery(words, prefix);
        error = null;
        return true;
    }

    /// <summary>
    /// True when <paramref name="text"/> holds every word of the query; <paramref name="hits"/> gets
    /// where each of them is (every occurrence, in order).
    /// </summary>
    public bool Matches(string text, List<SearchText.WordSpan> hits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(hits);
        hits.Clear();
        var all = (1UL << Words.Count) - 1 | (Prefix is null ? 0 : 1UL << MaxWords);
        var found = 0UL;
        var lookup = _words.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> buffer = stackalloc char[SearchText.MaxWordLength];
        foreach (var word in SearchText.Words(text))
        {
            var folded = SearchText.Fold(text.AsSpan(word.Start, word.Length), buffer);
            var hit = false;
            if (lookup.TryGetValue(folded, out var index))
            {
                found |= 1UL << index;
                hit = true;
            }

            if (Prefix is not null && folded.StartsWith(Prefix, StringComparison.Ordinal))
            {
                found |= 1UL << MaxWords;
                hit = true;
            }

            if (hit)
            {
                hits.Add(word);
            }
        }

        return found == all;
    }
}

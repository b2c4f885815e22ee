using System.Text;

namespace AspireChat.ChatApi.Search;

/// <summary>
/// The part of a text shown with a search result: one line around the first match, cut at spaces,
/// with an ellipsis where text was left out, and where the matched words are in it. Plain text: the
/// page sets it as text and marks the highlights itself, so nothing in a message becomes markup.
/// </summary>
public static class Snippet
{
    /// <summary>Characters kept before the first match.</summary>
    public const int ContextBefore = 60;

    /// <summary>The longest snippet, ellipses aside.</summary>
    public const int MaxLength = 200;

    private const char Ellipsis = '…';

    public static (string Text, IReadOnlyList<SearchHighlight> Highlights) Around(string text, IReadOnlyList<SearchText.WordSpan> hits)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(hits);
        var first = hits.Count > 0 ? hits[0].Start : 0;
        var begin = Math.Max(0, first - ContextBefore);
        if (begin > 0)
        {
            // Start after a space, so the snippet does not open mid-word.
            var space = IndexOfWhiteSpace(text, begin, first);
            begin = space >= 0 ? space + 1 : begin;
        }

        while (begin < first && char.IsWhiteSpace(text[begin]))
        {
            begin++;
        }

        var end = Math.Min(text.Length, begin + MaxLength);
        if (end < text.Length)
        {
            var space = LastIndexOfWhiteSpace(text, first, end);
            end = space > first ? space : end;
        }

        // Never half a surrogate pair.
        if (begin > 0 && begin < text.Length && char.IsLowSurrogate(text[begin]))
        {
            begin--;
        }

        if (end > begin && end < text.Length && char.IsLowSurrogate(text[end]))
        {
            end--;
        }

        // White space runs (line breaks included) become one space; map[i] is where text[begin + i] landed.
        var snippet = new StringBuilder(end - begin + 2);
        if (begin > 0)
        {
            snippet.Append(Ellipsis);
        }

        var map = new int[end - begin + 1];
        var inSpace = false;
        for (var i = begin; i < end; i++)
        {
            map[i - begin] = snippet.Length;
            if (char.IsWhiteSpace(text[i]))
            {
                if (!inSpace)
                {
                    snippet.Append(' ');
                }

                inSpace = true;
                continue;
            }

            inSpace = false;
            snippet.Append(text[i]);
        }

        map[end - begin] = snippet.Length;
        var trimmed = snippet.ToString().TrimEnd();
        var highlights = hits
            .Where(h => h.Start >= begin && h.Start + h.Length <= end)
            .Select(h => new SearchHighlight(map[h.Start - begin], map[h.Start + h.Length - begin] - map[h.Start - begin]))
            .Where(h => h.Start + h.Length <= trimmed.Length)
            .ToList();
        return (end < text.Length ? trimmed + Ellipsis : trimmed, highlights);
    }

    private static int IndexOfWhiteSpace(string text, int from, int before)
    {
        for (var i = from; i < before; i++)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static int LastIndexOfWhiteSpace(string text, int after, int before)
    {
        for (var i = before; i > after; i--)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                return i;
            }
        }

        return -1;
    }
}

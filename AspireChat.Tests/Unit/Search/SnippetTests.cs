using AspireChat.ChatApi.Search;

namespace AspireChat.Tests.Unit.Search;

public sealed class SnippetTests
{
    [Fact]
    public void AShortTextIsTheSnippetOnOneLineWithItsMatchesMarked()
    {
        var (text, highlights) = Around("Where is\n\nParis?\tIn France.", "paris france ");

        Assert.Equal("Where is Paris? In France.", text);
        Assert.Equal(["Paris", "France"], highlights.Select(h => text.Substring(h.Start, h.Length)));
    }

    [Fact]
    public void ALongTextIsCutAroundTheFirstMatchAtSpacesWithEllipses()
    {
        var before = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"before{i}"));
        var after = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"after{i}"));
        var (text, highlights) = Around($"{before} needle {after}", "needle ");

        Assert.StartsWith("…", text, StringComparison.Ordinal);
        Assert.EndsWith("…", text, StringComparison.Ordinal);
        Assert.InRange(text.Length, 100, Snippet.MaxLength + 2);
        Assert.DoesNotContain("before0 ", text, StringComparison.Ordinal);
        // Cut at spaces: every word in it is whole.
        Assert.All(text.Trim('…').Split(' '), w => Assert.Matches("^(before|after)[0-9]+$|^needle$", w));
        var mark = Assert.Single(highlights);
        Assert.Equal("needle", text.Substring(mark.Start, mark.Length));
    }

    [Fact]
    public void MarkupInATextStaysTextAndTheHighlightsPointAtTheWordsInIt()
    {
        var (text, highlights) = Around("<script>alert('xss')</script> and <img src=x onerror=alert(1)>", "alert ");

        Assert.Equal("<script>alert('xss')</script> and <img src=x onerror=alert(1)>", text);
        Assert.Equal(["alert", "alert"], highlights.Select(h => text.Substring(h.Start, h.Length)));
    }

    [Fact]
    public void ASnippetNeverSplitsASurrogatePair()
    {
        var source = string.Concat(Enumerable.Repeat("😀", 100)) + " word " + string.Concat(Enumerable.Repeat("😀", 200));
        var (text, _) = Around(source, "word ");

        Assert.All(text.Where(char.IsSurrogate).Chunk(2), pair => Assert.True(char.IsSurrogatePair(pair[0], pair[1])));
    }

    private static (string Text, IReadOnlyList<SearchHighlight> Highlights) Around(string source, string query)
    {
        Assert.True(SearchQuery.TryParse(query, out var parsed, out _));
        List<SearchText.WordSpan> hits = [];
        Assert.True(parsed.Matches(source, hits));
        return Snippet.Around(source, hits);
    }
}

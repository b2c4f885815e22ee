using AspireChat.ChatApi.Search;

namespace AspireChat.Tests.Unit.Search;

public sealed class SearchQueryTests
{
    [Theory]
    [InlineData(null, "Type a word to search for.")]
    [InlineData("", "Type a word to search for.")]
    [InlineData("  \t\n ", "Type a word to search for.")]
    [InlineData(".*", "A search needs at least one letter or digit; punctuation and symbols only separate words.")]
    [InlineData("() [] {} | -- ** \\ ;", "A search needs at least one letter or digit; punctuation and symbols only separate words.")]
    public void AQueryWithoutAWordIsRefusedWithItsReason(string? text, string reason)
    {
        Assert.False(SearchQuery.TryParse(text, out var query, out var error));
        Assert.Null(query);
        Assert.Equal(reason, error);
    }

    [Fact]
    public void AQueryOverTwoHundredCharactersIsRefusedAndOneOfExactlyTwoHundredIsTaken()
    {
        Assert.True(SearchQuery.TryParse(new string('a', 200), out _, out _));
        Assert.False(SearchQuery.TryParse(new string('a', 201), out _, out var error));
        Assert.Equal("A search is at most 200 characters.", error);
        // Characters, not UTF-16 units: 200 emoji (400 units) around a word are 201 characters.
        Assert.False(SearchQuery.TryParse(string.Concat(Enumerable.Repeat("😀", 200)) + "a", out _, out _));
        Assert.True(SearchQuery.TryParse(string.Concat(Enumerable.Repeat("😀", 199)) + "a", out _, out _));
    }

    [Fact]
    public void AQueryOfMoreThanThirtyTwoDifferentWordsIsRefused()
    {
        var words = string.Join(' ', Enumerable.Range(0, 33).Select(i => $"w{i}"));
        Assert.False(SearchQuery.TryParse(words, out _, out var error));
        Assert.Equal("A search is at most 32 different words.", error);
        Assert.True(SearchQuery.TryParse(string.Join(' ', Enumerable.Range(0, 32).Select(i => $"w{i}")), out _, out _));
    }

    [Fact]
    public void TheLastWordMayBeginALongerWordOnlyWhileItIsBeingTyped()
    {
        Assert.True(SearchQuery.TryParse("Eiffel Pari", out var typing, out _));
        Assert.Equal(["eiffel"], typing.Words);
        Assert.Equal("pari", typing.Prefix);
        Assert.True(typing.Matches("The Eiffel tower is in Paris.", []));

        Assert.True(SearchQuery.TryParse("Eiffel Pari ", out var done, out _));
        Assert.Null(done.Prefix);
        Assert.False(done.Matches("The Eiffel tower is in Paris.", []));
        Assert.True(done.Matches("pari eiffel", []));
    }

    [Theory]
    [InlineData("^Par.s$")]
    [InlineData("redis.call('FLUSHALL')")]
    [InlineData("@title:{paris} | -lyon*")]
    [InlineData("]] .. KEYS[1] .. [[")]
    public void PatternAndScriptSyntaxIsMatchedLiterallyAsWords(string text)
    {
        Assert.True(SearchQuery.TryParse(text, out var query, out _));

        // Only a text holding the same words matches: nothing is read as a wildcard or a command.
        Assert.True(query.Matches($"quoted: {text}", []));
        Assert.False(query.Matches("Paris is the capital; FLUSHALL nothing; lyonnais", []));
    }

    [Fact]
    public void EveryWordMustBeThereAndEachMatchIsReportedWhereItIs()
    {
        Assert.True(SearchQuery.TryParse("café TOUR", out var query, out _));
        List<SearchText.WordSpan> hits = [];

        Assert.True(query.Matches("Un café près de la Tour Eiffel, un Cafe encore", hits));
        const string text = "Un café près de la Tour Eiffel, un Cafe encore";
        Assert.Equal(["café", "Tour", "Cafe"], hits.Select(h => text.Substring(h.Start, h.Length)));
        Assert.False(query.Matches("Un café près de la gare", hits));
    }
}

using AspireChat.ChatApi.Search;

namespace AspireChat.Tests.Unit.Search;

public sealed class SearchTextTests
{
    [Fact]
    public void WordsAreFoldedToLowerCaseWithoutAccents()
    {
        Assert.Equal(["cafe", "creme", "brulee", "ola", "strasse", "zurich"], SearchText.DistinctWords("Café CRÈME brûlée, olá STRASSE Zürich café"));
        // Decomposed accents (e + U+0301) fold the same as composed ones.
        Assert.Equal(["cafe"], SearchText.DistinctWords("cafe\u0301"));
        Assert.Equal(["αθηνα", "москва"], SearchText.DistinctWords("Αθήνα Москва"));
    }

    [Fact]
    public void PunctuationAndSymbolsOnlySeparateWords()
    {
        Assert.Equal(["par", "s", "hello", "world", "redis", "call", "flushall", "title", "x"],
            SearchText.DistinctWords("^Par.s$ hello*world redis.call('FLUSHALL') @title:{x}"));
        Assert.Empty(SearchText.DistinctWords(".* () -- ** 🙂 \n\t"));
    }

    [Fact]
    public void EachChineseOrJapaneseCharacterIsAWordOfItsOwn()
    {
        Assert.Equal(["北", "京", "欢", "迎", "ひ", "ら", "が", "な", "tokyo"], SearchText.DistinctWords("北京欢迎 ひらがな Tokyo"));
    }

    [Fact]
    public void WordsAreFoundWhereTheyAre()
    {
        const string text = "  Hello, wörld! 42";
        var words = SearchText.Words(text).Select(w => text.Substring(w.Start, w.Length));
        Assert.Equal(["Hello", "wörld", "42"], words);
    }

    [Fact]
    public void AWordLongerThanTheLimitIsCutTheSameWayInTheIndexAndAQuery()
    {
        var long1 = new string('a', 45) + "x";
        var long2 = new string('a', 45) + "y";
        Assert.Equal([new string('a', SearchText.MaxWordLength)], SearchText.DistinctWords(long1, long2));
        Assert.Equal(new string('a', SearchText.MaxWordLength), SearchText.Fold(long1));
    }
}

using AspireChat.ChatApi.Search;

namespace AspireChat.Tests.Unit.Search;

public sealed class PostingTests
{
    [Fact]
    public void OneConversationIsHeldAloneAndASecondMakesASet()
    {
        var posting = new Posting();
        Assert.Equal(0, posting.Count);
        Assert.Empty(posting.ConversationIds);

        posting.Add("a");
        posting.Add("a");
        Assert.Equal(1, posting.Count);
        Assert.True(posting.Contains("a"));
        Assert.False(posting.Contains("b"));

        posting.Add("b");
        posting.Add("c");
        Assert.Equal(3, posting.Count);
        Assert.Equal(["a", "b", "c"], posting.ConversationIds.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RemovingSaysWhetherTheConversationWasThereAndEmptiesIt()
    {
        var single = new Posting();
        single.Add("a");
        Assert.False(single.Remove("b"));
        Assert.True(single.Remove("a"));
        Assert.False(single.Remove("a"));
        Assert.Equal(0, single.Count);
        Assert.False(single.Contains("a"));

        var many = new Posting();
        many.Add("a");
        many.Add("b");
        Assert.True(many.Remove("a"));
        Assert.True(many.Remove("b"));
        Assert.Equal(0, many.Count);
        Assert.Empty(many.ConversationIds);
    }

    [Fact]
    public void IdsAreComparedOrdinally()
    {
        var posting = new Posting();
        posting.Add("a");
        posting.Add("A");
        Assert.Equal(2, posting.Count);
        Assert.True(posting.Contains("A"));
    }
}

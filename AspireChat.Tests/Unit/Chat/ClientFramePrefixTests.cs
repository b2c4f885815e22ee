using System.Text;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.Tests.Unit.Chat;

/// <summary>The ids read from the start of a frame too large to read whole (a refusal then names the message).</summary>
public sealed class ClientFramePrefixTests
{
    [Theory]
    // The page's order: ids first, the content last and cut off by the prefix's end.
    [InlineData("""{"type":"message","id":"c-1","conversationId":"k","traceparent":"00-ab-cd-01","content":"xxxxx""", "c-1", "k")]
    [InlineData("""{"type":"message","id":"c-1","content":"xxx""", "c-1", null)]
    // Read whole values are skipped, whatever they are; an id inside one is not the frame's.
    [InlineData("""{"n":[1,{"id":"inner"}],"x":{"conversationId":"inner"},"id":"c-2","content":"x""", "c-2", null)]
    // The content first: nothing after it is reached.
    [InlineData("""{"type":"message","content":"xxxxxxxxxx""", null, null)]
    // An id cut by the prefix's end is not taken half.
    [InlineData("""{"type":"message","id":"c-12""", null, null)]
    [InlineData("""{"type":"message","conversationId":"k","id":""", null, "k")]
    // Not a string, not an object, not JSON past a point: what was read before stands.
    [InlineData("""{"id":42,"conversationId":"k","content":"x""", null, "k")]
    [InlineData("""["id","c-1"]""", null, null)]
    [InlineData("""{"id":"c-1",}garbage""", "c-1", null)]
    [InlineData("not json at all", null, null)]
    [InlineData("", null, null)]
    public void TheTopLevelStringIdsBeforeTheCutAreRead(string prefix, string? id, string? conversationId)
    {
        Assert.Equal((id, conversationId), ClientFramePrefix.ReadIds(Encoding.UTF8.GetBytes(prefix)));
    }

    [Fact]
    public void EscapedIdsAreUnescaped()
    {
        Assert.Equal(("c\"1", "k/1"), ClientFramePrefix.ReadIds("""{"id":"c\"1","conversationId":"k\/1","content":"x"""u8));
    }
}

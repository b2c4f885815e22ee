using System.Text;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies.Redis;

namespace AspireChat.Tests.Unit.Replies;

public sealed class RedisReplyFormatTests
{
    [Fact]
    public void AFrameOfNoReplyIsOneEnvelopeNumberedZeroThatParsesBack()
    {
        var branch = new BranchFrame("c", "leaf\nwith a newline");

        var parsed = RedisReplyFormat.ParseEnvelopes(RedisReplyFormat.Envelope(branch, "tab-1"));

        Assert.Equal(new ReplyEnvelope(0, RedisReplyFormat.NoOrigin, "tab-1", branch), Assert.Single(parsed));
    }

    [Fact]
    public void AMalformedEnvelopeEndsTheMessageKeepingTheFramesBeforeIt()
    {
        var chunk = Encoding.UTF8.GetString(RedisReplyFormat.Json(new ChunkFrame("c", "m", 1, "kept")));
        var message = Encoding.UTF8.GetBytes($"1 m -\n{chunk}\nnot a header\n{{}}");

        var parsed = RedisReplyFormat.ParseEnvelopes(message);

        Assert.Equal("kept", Assert.IsType<ChunkFrame>(Assert.Single(parsed).Frame).Content);
    }
}

using System.Buffers;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.Tests.Unit.Chat;

public sealed class RedisReplyFormatTests
{
    [Fact]
    public void ABatchOfFramesIsOneMessageThatParsesBackInOrder()
    {
        ServerFrame[] frames =
        [
            new StartFrame("c", "m", "u", "model"),
            new ChunkFrame("c", "m", 1, "line one\nline two\r\n"),
            new ChunkFrame("c", "m", 2, "😀 \"quoted\" 3 m tab\t"),
            new EndFrame("c", "m", "u", FinishReasons.Stop, null),
        ];
        var message = new ArrayBufferWriter<byte>();
        for (var i = 0; i < frames.Length; i++)
        {
            RedisReplyFormat.AppendEnvelope(message, i + 1, "m", i == 0 ? null : "tab-1", RedisReplyFormat.Json(frames[i]));
        }

        var parsed = RedisReplyFormat.ParseEnvelopes(message.WrittenSpan);

        Assert.Equal(frames, parsed.Select(e => e.Frame));
        Assert.Equal([1L, 2L, 3L, 4L], parsed.Select(e => e.N));
        Assert.Equal(["-", "tab-1", "tab-1", "tab-1"], parsed.Select(e => e.Origin));
        Assert.All(parsed, e => Assert.Equal("m", e.MessageId));
    }

    [Fact]
    public void AMessageOfOneFrameParsesAsOneEnvelope()
    {
        var user = new UserFrame("c", "u", "m", "hello\nthere");

        var parsed = RedisReplyFormat.ParseEnvelopes(RedisReplyFormat.Envelope(0, "m", "origin", user));

        Assert.Equal(new ReplyEnvelope(0, "m", "origin", user), Assert.Single(parsed));
    }

    [Fact]
    public void AMalformedEnvelopeEndsTheMessageKeepingTheFramesBeforeIt()
    {
        var message = new ArrayBufferWriter<byte>();
        RedisReplyFormat.AppendEnvelope(message, 1, "m", null, RedisReplyFormat.Json(new ChunkFrame("c", "m", 1, "kept")));
        message.Write("\nnot a header\n{}"u8);

        var parsed = RedisReplyFormat.ParseEnvelopes(message.WrittenSpan);

        Assert.Equal("kept", Assert.IsType<ChunkFrame>(Assert.Single(parsed).Frame).Content);
    }
}

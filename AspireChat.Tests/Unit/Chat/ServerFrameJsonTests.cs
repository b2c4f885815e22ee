using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.WebSockets;

namespace AspireChat.Tests.Unit.Chat;

/// <summary>The hand-written chunk writer (socket and Redis stream alike) against the protocol's serializer.</summary>
public sealed class ServerFrameJsonTests
{
    public static readonly TheoryData<string, bool> Contents = new()
    {
        { "token ", false },
        { "", false },
        { "line\nbreak\r\n\ttab \"quoted\" back\\slash", false },
        { "<script>&'+ é 😀 \u0001 \u2028", false },
        // As the socket's send loop writes: relaxed escaping, the frames are never inlined into HTML.
        { "<script>&'+ é 😀 \u0001 \u2028", true },
        { "line\nbreak \"quoted\"", true },
    };

    [Theory]
    [MemberData(nameof(Contents))]
    public void AChunkIsWrittenByHandExactlyAsTheProtocolSerializerWritesIt(string content, bool relaxedEscaping)
    {
        var chunk = new ChunkFrame("conversation-id", "message-id", long.MaxValue, content);
        var options = new JsonWriterOptions { Encoder = relaxedEscaping ? JavaScriptEncoder.UnsafeRelaxedJsonEscaping : null };

        var byHand = Write(options, writer => ServerFrameJson.Write(writer, chunk));
        var bySerializer = Write(options, writer => JsonSerializer.Serialize<ServerFrame>(writer, chunk, ProtocolJsonContext.Default.ServerFrame));

        Assert.Equal(System.Text.Encoding.UTF8.GetString(bySerializer), System.Text.Encoding.UTF8.GetString(byHand));
        Assert.Equal(chunk, JsonSerializer.Deserialize(byHand, ProtocolJsonContext.Default.ServerFrame));
    }

    [Fact]
    public void OtherFramesAreWrittenByTheSerializer()
    {
        var end = new EndFrame("c", "m", "u", FinishReasons.Stop, null);

        var written = Write(default, writer => ServerFrameJson.Write(writer, end));

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes<ServerFrame>(end, ProtocolJsonContext.Default.ServerFrame), written);
    }

    [Fact]
    public void TheSendLoopsWriterGivesEachFrameWholeInTurn()
    {
        using var writer = new ServerFrameWriter();
        ServerFrame[] frames = [new ChunkFrame("c", "m", 1, "one"), new EndFrame("c", "m", "u", FinishReasons.Stop, null), new ChunkFrame("c", "m", 2, "two")];

        foreach (var frame in frames)
        {
            // The JSON of each frame alone, although the writer reuses its buffer.
            Assert.Equal(frame, JsonSerializer.Deserialize(writer.Write(frame).Span, ProtocolJsonContext.Default.ServerFrame));
        }
    }

    private static byte[] Write(JsonWriterOptions options, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}

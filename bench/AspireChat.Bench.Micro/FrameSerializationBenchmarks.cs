using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using AspireChat.ChatApi.Protocol;
using BenchmarkDotNet.Attributes;

namespace AspireChat.Bench.Micro;

/// <summary>
/// One <c>chunk</c> frame to UTF-8 JSON, as ChatSocketConnection's send loop does it (source-generated,
/// polymorphic <see cref="ServerFrame"/>), against a hand-written writer of the same bytes: the gap is what the
/// general serializer costs per token.
/// </summary>
public class FrameSerializationBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly ChunkFrame _chunk = new("3kVq0Yt2Qm6lJ9zX1bC4dA", "a7Qp9Lr3Vn2Kx8Zw5Ty6Ue", 42, "Hello");
    private Utf8JsonWriter _writer = null!;

    [GlobalSetup]
    public void Setup() =>
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    [GlobalCleanup]
    public void Cleanup() => _writer.Dispose();

    [Benchmark(Baseline = true, Description = "chunk frame, source-generated (as the send loop)")]
    public int SourceGenerated()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, (ServerFrame)_chunk, ProtocolJsonContext.Default.ServerFrame);
        return _buffer.WrittenCount;
    }

    [Benchmark(Description = "chunk frame, hand-written Utf8JsonWriter")]
    public int HandWritten()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("type"u8, "chunk"u8);
        _writer.WriteString("conversationId"u8, _chunk.ConversationId);
        _writer.WriteString("messageId"u8, _chunk.MessageId);
        _writer.WriteNumber("seq"u8, _chunk.Seq);
        _writer.WriteString("content"u8, _chunk.Content);
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenCount;
    }
}

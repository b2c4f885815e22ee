using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using AspireChat.ChatApi.Protocol;
using BenchmarkDotNet.Attributes;

namespace AspireChat.Bench.Micro;

/// <summary>
/// One <c>chunk</c> frame to UTF-8 JSON through the source-generated, polymorphic <see cref="ServerFrame"/>
/// serializer, against <see cref="ServerFrameJson"/>, which the send loop and the Redis publisher use and which
/// writes the same bytes by hand: the gap is what the general serializer would cost per token.
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

    [Benchmark(Baseline = true, Description = "chunk frame, source-generated serializer")]
    public int SourceGenerated()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, (ServerFrame)_chunk, ProtocolJsonContext.Default.ServerFrame);
        return _buffer.WrittenCount;
    }

    [Benchmark(Description = "chunk frame, ServerFrameJson (as the send loop)")]
    public int HandWritten()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        ServerFrameJson.Write(_writer, _chunk);
        _writer.Flush();
        return _buffer.WrittenCount;
    }
}

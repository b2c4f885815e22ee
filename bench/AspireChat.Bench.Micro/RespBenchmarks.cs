using System.Buffers;
using System.Text;
using AspireChat.ChatApi.Redis;
using BenchmarkDotNet.Attributes;

namespace AspireChat.Bench.Micro;

/// <summary>
/// The RESP encoder and parser of ChatApi's own Redis client: a per-chunk command (XADD of one chunk, what a
/// resumable stream writes per token) built and encoded, and the replies the history path reads, parsed.
/// </summary>
public class RespBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private ReadOnlySequence<byte> _streamId;
    private ReadOnlySequence<byte> _history;

    [GlobalSetup]
    public void Setup()
    {
        _streamId = new ReadOnlySequence<byte>("$15\r\n1700000000000-0\r\n"u8.ToArray());
        var message = """{"id":"a7Qp9Lr3Vn2Kx8Zw5Ty6Ue","role":"assistant","content":"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.","createdAt":"2026-11-21T12:00:00+00:00"}""";
        var history = new StringBuilder("*20\r\n");
        for (var i = 0; i < 20; i++)
        {
            history.Append('$').Append(Encoding.UTF8.GetByteCount(message)).Append("\r\n").Append(message).Append("\r\n");
        }

        _history = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(history.ToString()));
    }

    [Benchmark(Description = "encode XADD of one chunk (command built + written)")]
    public int EncodeChunkCommand()
    {
        _buffer.ResetWrittenCount();
        var command = new RedisCommand("XADD", "aspirechat:stream:3kVq0Yt2Qm6lJ9zX1bC4dA", "MAXLEN", "~", 10_000L, "*", "seq", 42L, "content", "Hello");
        RespWriter.Write(_buffer, command);
        return _buffer.WrittenCount;
    }

    [Benchmark(Description = "parse a bulk-string reply (a stream entry id)")]
    public bool ParseBulkString() => RespReader.TryRead(_streamId, out _, out _);

    [Benchmark(Description = "parse a 20-message history (LRANGE reply, ~4 KB)")]
    public bool ParseHistory() => RespReader.TryRead(_history, out _, out _);
}

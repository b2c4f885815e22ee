using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>Writes one connection's outgoing frames as UTF-8 JSON, each into the same buffer.</summary>
internal sealed class ServerFrameWriter : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;

    public ServerFrameWriter() =>
        // Relaxed escaping: frames are JSON over a socket, never inlined into HTML, so quotes and '<' need no \u escapes.
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>The frame's JSON, valid until the next call.</summary>
    public ReadOnlyMemory<byte> Write(ServerFrame frame)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        ServerFrameJson.Write(_writer, frame);
        // The serializer flushes, a chunk written by hand does not: the bytes must be in the buffer.
        _writer.Flush();
        return _buffer.WrittenMemory;
    }

    public void Dispose() => _writer.Dispose();
}

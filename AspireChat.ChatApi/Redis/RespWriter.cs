using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace AspireChat.ChatApi.Redis;

/// <summary>Encodes commands as RESP2 arrays of bulk strings: length-prefixed, so every byte is safe.</summary>
public static class RespWriter
{
    public static void Write(IBufferWriter<byte> output, RedisCommand command)
    {
        WriteHeader(output, (byte)'*', command.Arguments.Count + 1);
        // Encoded straight into the output: a command name is ASCII, one byte per character.
        WriteHeader(output, (byte)'$', command.Name.Length);
        output.Advance(Encoding.ASCII.GetBytes(command.Name, output.GetSpan(command.Name.Length)));
        output.Write("\r\n"u8);
        foreach (var argument in command.Arguments)
        {
            WriteBulk(output, argument.Span);
        }
    }

    private static void WriteBulk(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        WriteHeader(output, (byte)'$', bytes.Length);
        output.Write(bytes);
        output.Write("\r\n"u8);
    }

    private static void WriteHeader(IBufferWriter<byte> output, byte prefix, long length)
    {
        var span = output.GetSpan(24);
        span[0] = prefix;
        Utf8Formatter.TryFormat(length, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        output.Advance(written + 3);
    }
}

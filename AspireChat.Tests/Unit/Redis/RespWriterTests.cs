using System.Buffers;
using System.Text;
using AspireChat.ChatApi.Redis;

namespace AspireChat.Tests.Unit.Redis;

public sealed class RespWriterTests
{
    [Fact]
    public void WritesAnArrayOfLengthPrefixedBulkStrings()
    {
        var output = new ArrayBufferWriter<byte>();

        RespWriter.Write(output, new RedisCommand("SET", "k", "v\r\n😀", 42L));

        Assert.Equal("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\nv\r\n😀\r\n$2\r\n42\r\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void BinaryArgumentsAreSentByteForByte()
    {
        byte[] binary = [0, 13, 10, 255, 36, 42];
        var output = new ArrayBufferWriter<byte>();

        RespWriter.Write(output, new RedisCommand("ECHO", binary));

        byte[] expected = [.. "*2\r\n$4\r\nECHO\r\n$6\r\n"u8, .. binary, .. "\r\n"u8];
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }
}

using System.Buffers;
using System.Text;
using AspireChat.ChatApi.Redis;

namespace AspireChat.Tests.Unit.Redis;

public sealed class RespReaderTests
{
    [Theory]
    [InlineData("+OK\r\n", RespType.SimpleString, "OK")]
    [InlineData("-ERR wrong\r\n", RespType.Error, "ERR wrong")]
    [InlineData(":-42\r\n", RespType.Number, "-42")]
    [InlineData("$5\r\nhe\r\no\r\n", RespType.BulkString, "he\r\no")]
    [InlineData("$0\r\n\r\n", RespType.BulkString, "")]
    [InlineData("$-1\r\n", RespType.Null, null)]
    [InlineData("*-1\r\n", RespType.Null, null)]
    public void ReadsEachReplyType(string wire, RespType type, string? text)
    {
        var value = ReadWhole(Encoding.UTF8.GetBytes(wire));

        Assert.Equal(type, value.Type);
        Assert.Equal(text, value.AsString());
    }

    [Fact]
    public void ReadsNestedArrays()
    {
        var value = ReadWhole("*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n"u8.ToArray());

        Assert.Equal(RespType.Array, value.Type);
        Assert.Equal(1, value.Items[0].Number);
        Assert.Equal("a", value.Items[1].Items[0].AsString());
        Assert.True(value.Items[1].Items[1].IsNull);
        Assert.Equal("x", value.Items[2].AsString());
    }

    [Fact]
    public void AReplyCutAnywhereIsIncompleteUntilTheLastByte()
    {
        var wire = "*2\r\n$3\r\nfoo\r\n:12345\r\n"u8.ToArray();

        for (var cut = 0; cut < wire.Length; cut++)
        {
            Assert.False(RespReader.TryRead(new ReadOnlySequence<byte>(wire, 0, cut), out _, out var consumed), $"complete at {cut} bytes");
            Assert.Equal(0, new ReadOnlySequence<byte>(wire).Slice(0, consumed).Length);
        }

        Assert.True(RespReader.TryRead(new ReadOnlySequence<byte>(wire), out var value, out _));
        Assert.Equal("foo", value.Items[0].AsString());
    }

    [Fact]
    public void ABulkStringOfTwoMebibytesSplitIntoManySegmentsIsReadExactly()
    {
        var payload = new byte[2 * 1024 * 1024 + 3];
        new Random(7).NextBytes(payload);
        var wire = Encoding.ASCII.GetBytes($"${payload.Length}\r\n").Concat(payload).Concat("\r\n"u8.ToArray()).ToArray();

        var sequence = Segmented(wire, segmentLength: 4096 + 17);

        Assert.True(RespReader.TryRead(sequence, out var value, out var consumed));
        Assert.Equal(payload, value.Bytes.ToArray());
        Assert.Equal(sequence.End, consumed);
        Assert.False(RespReader.TryRead(sequence.Slice(0, sequence.Length - 1), out _, out _));
    }

    [Fact]
    public void ReadsTwoRepliesOneAfterTheOther()
    {
        var sequence = new ReadOnlySequence<byte>("+A\r\n:2\r\n"u8.ToArray());

        Assert.True(RespReader.TryRead(sequence, out var first, out var consumed));
        Assert.True(RespReader.TryRead(sequence.Slice(consumed), out var second, out _));

        Assert.Equal("A", first.AsString());
        Assert.Equal(2, second.Number);
    }

    [Theory]
    [InlineData("?what\r\n")]
    [InlineData(":12x\r\n")]
    [InlineData(":\r\n")]
    [InlineData("$3\r\nabcd\r\n")]
    [InlineData("$-5\r\n")]
    [InlineData("*-2\r\n")]
    [InlineData("+OK\n")]
    [InlineData("+O\rK\r\n")]
    [InlineData("HTTP/1.1 400 Bad Request\r\n")]
    public void GarbageThrowsAProtocolError(string wire)
    {
        Assert.Throws<RedisProtocolException>(() => RespReader.TryRead(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(wire)), out _, out _));
    }

    private static RespValue ReadWhole(byte[] wire)
    {
        Assert.True(RespReader.TryRead(new ReadOnlySequence<byte>(wire), out var value, out var consumed));
        Assert.Equal(wire.Length, new ReadOnlySequence<byte>(wire).Slice(0, consumed).Length);
        return value;
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentLength)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentLength)
        {
            var memory = bytes.AsMemory(offset, Math.Min(segmentLength, bytes.Length - offset));
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

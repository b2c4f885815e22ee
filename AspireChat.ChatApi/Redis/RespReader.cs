using System.Buffers;
using System.Buffers.Text;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// Parses RESP2 replies from a byte sequence that may end anywhere: a reply cut short returns
/// false and consumes nothing, so the caller waits for more bytes and tries again from the same
/// place. Anything that is not RESP2 throws <see cref="RedisProtocolException"/>.
/// </summary>
public static class RespReader
{
    /// <summary>Bulk strings above this are refused (Redis's own proto-max-bulk-len default).</summary>
    public const long MaxBulkLength = 512L * 1024 * 1024;

    private const int MaxArrayLength = 16 * 1024 * 1024;
    private const int MaxLineLength = 64 * 1024;
    private const int MaxDepth = 32;

    // The replies every transaction gets, shared rather than allocated per command (a value is immutable).
    private static readonly RespValue Ok = RespValue.SimpleString("OK"u8.ToArray());
    private static readonly RespValue Queued = RespValue.SimpleString("QUEUED"u8.ToArray());

    /// <summary>
    /// Reads one complete reply from the start of <paramref name="buffer"/>. On success
    /// <paramref name="consumed"/> is the position just after it.
    /// </summary>
    public static bool TryRead(ReadOnlySequence<byte> buffer, out RespValue value, out SequencePosition consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (TryRead(ref reader, 0, out value))
        {
            consumed = reader.Position;
            return true;
        }

        consumed = buffer.Start;
        return false;
    }

    private static bool TryRead(ref SequenceReader<byte> reader, int depth, out RespValue value)
    {
        value = RespValue.NullValue;
        if (!reader.TryRead(out var prefix))
        {
            return false;
        }

        switch (prefix)
        {
            case (byte)'+':
                if (!TryReadLine(ref reader, out var simple))
                {
                    return false;
                }

                value = IsSingleSegment(simple, "QUEUED"u8) ? Queued : IsSingleSegment(simple, "OK"u8) ? Ok : RespValue.SimpleString(simple.ToArray());
                return true;

            case (byte)'-':
                if (!TryReadLine(ref reader, out var error))
                {
                    return false;
                }

                value = RespValue.Error(error.ToArray());
                return true;

            case (byte)':':
                if (!TryReadInteger(ref reader, out var integer))
                {
                    return false;
                }

                value = RespValue.FromNumber(integer);
                return true;

            case (byte)'$':
                return TryReadBulk(ref reader, out value);

            case (byte)'*':
                return TryReadArray(ref reader, depth, out value);

            default:
                throw new RedisProtocolException($"Unexpected RESP type byte 0x{prefix:X2}.");
        }
    }

    private static bool TryReadBulk(ref SequenceReader<byte> reader, out RespValue value)
    {
        value = RespValue.NullValue;
        if (!TryReadInteger(ref reader, out var length))
        {
            return false;
        }

        if (length == -1)
        {
            return true;
        }

        if (length < 0 || length > MaxBulkLength)
        {
            throw new RedisProtocolException($"Invalid bulk string length {length}.");
        }

        // The payload and its CRLF must both be here; otherwise wait without copying anything.
        if (reader.Remaining < length + 2)
        {
            return false;
        }

        var payload = reader.UnreadSequence.Slice(0, length).ToArray();
        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw new RedisProtocolException("Bulk string not terminated by CRLF.");
        }

        value = RespValue.BulkString(payload);
        return true;
    }

    private static bool TryReadArray(ref SequenceReader<byte> reader, int depth, out RespValue value)
    {
        value = RespValue.NullValue;
        if (!TryReadInteger(ref reader, out var count))
        {
            return false;
        }

        if (count == -1)
        {
            return true;
        }

        if (count < 0 || count > MaxArrayLength)
        {
            throw new RedisProtocolException($"Invalid array length {count}.");
        }

        if (depth >= MaxDepth)
        {
            throw new RedisProtocolException("Arrays nested too deeply.");
        }

        var items = new RespValue[count];
        for (var i = 0; i < count; i++)
        {
            if (!TryRead(ref reader, depth + 1, out items[i]))
            {
                return false;
            }
        }

        value = RespValue.Array(items);
        return true;
    }

    private static bool IsSingleSegment(ReadOnlySequence<byte> line, ReadOnlySpan<byte> text) =>
        line.IsSingleSegment && line.FirstSpan.SequenceEqual(text);

    /// <summary>A line without its CRLF, not copied: callers copy what they keep.</summary>
    private static bool TryReadLine(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> line)
    {
        line = default;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> content, (byte)'\n', advancePastDelimiter: true))
        {
            if (reader.Remaining > MaxLineLength)
            {
                throw new RedisProtocolException("Line longer than the protocol allows.");
            }

            return false;
        }

        if (content.Length == 0 || content.Slice(content.Length - 1).FirstSpan[0] != (byte)'\r')
        {
            throw new RedisProtocolException("Line not terminated by CRLF.");
        }

        line = content.Slice(0, content.Length - 1);
        if (line.PositionOf((byte)'\r') is not null)
        {
            throw new RedisProtocolException("Stray CR inside a line.");
        }

        return true;
    }

    private static bool TryReadInteger(ref SequenceReader<byte> reader, out long value)
    {
        value = 0;
        if (!TryReadLine(ref reader, out var line))
        {
            return false;
        }

        // A long has at most 20 characters with its sign; parsed from the stack, not a copy on the heap.
        Span<byte> digits = stackalloc byte[20];
        if (line.Length == 0 || line.Length > digits.Length)
        {
            throw new RedisProtocolException("Invalid integer in reply.");
        }

        line.CopyTo(digits);
        digits = digits[..(int)line.Length];
        if (!Utf8Parser.TryParse(digits, out value, out var used) || used != digits.Length)
        {
            throw new RedisProtocolException("Invalid integer in reply.");
        }

        return true;
    }
}

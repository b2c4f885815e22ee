using System.Text;

namespace AspireChat.ChatApi.Redis;

/// <summary>The five RESP2 reply types, plus the null bulk string and null array (both <see cref="Null"/>).</summary>
public enum RespType
{
    SimpleString,
    Error,
    /// <summary>A RESP integer (':').</summary>
    Number,
    BulkString,
    Array,
    Null,
}

/// <summary>
/// One RESP2 reply. Bulk and simple strings keep their exact bytes (binary safe); arrays hold their
/// elements. Errors come back as values here and are turned into <see cref="RedisServerException"/>
/// by the client, so a transaction can report which queued command failed.
/// </summary>
public sealed class RespValue
{
    public static readonly RespValue NullValue = new(RespType.Null, default, 0, null);

    private RespValue(RespType type, ReadOnlyMemory<byte> bytes, long number, IReadOnlyList<RespValue>? items)
    {
        Type = type;
        Bytes = bytes;
        Number = number;
        Items = items ?? [];
    }

    public RespType Type { get; }

    /// <summary>The payload of a simple string, error or bulk string.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    public long Number { get; }

    public IReadOnlyList<RespValue> Items { get; }

    public bool IsNull => Type == RespType.Null;

    public static RespValue SimpleString(ReadOnlyMemory<byte> bytes) => new(RespType.SimpleString, bytes, 0, null);

    public static RespValue Error(ReadOnlyMemory<byte> bytes) => new(RespType.Error, bytes, 0, null);

    public static RespValue FromNumber(long value) => new(RespType.Number, default, value, null);

    public static RespValue BulkString(ReadOnlyMemory<byte> bytes) => new(RespType.BulkString, bytes, 0, null);

    public static RespValue Array(IReadOnlyList<RespValue> items) => new(RespType.Array, default, 0, items);

    /// <summary>The string as UTF-8, or null for a null reply.</summary>
    public string? AsString() => Type switch
    {
        RespType.Null => null,
        RespType.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RespType.Array => throw new RedisUnexpectedReplyException($"Expected a string reply but got an array of {Items.Count}."),
        _ => Encoding.UTF8.GetString(Bytes.Span),
    };

    public override string ToString() => Type switch
    {
        RespType.Array => $"Array[{Items.Count}]",
        RespType.Number => $"Number({Number})",
        RespType.Null => "Null",
        // Never the content: replies hold user data, and this may end up in a log.
        _ => $"{Type}({Bytes.Length} bytes)",
    };
}

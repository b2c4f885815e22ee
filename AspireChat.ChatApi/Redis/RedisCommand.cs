using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// One command: its name and its arguments as exact bytes. Strings are UTF-8; byte arrays are
/// sent as they are, so keys and values may hold CR, LF or any binary byte.
/// </summary>
public sealed class RedisCommand
{
    public RedisCommand(string name, params IEnumerable<RedisArg> arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(arguments);
        Name = name;
        Arguments = ToBytes(arguments);
    }

    /// <summary>The command's name, upper case as Redis documents it; the span name.</summary>
    public string Name { get; }

    public IReadOnlyList<ReadOnlyMemory<byte>> Arguments { get; }

    /// <summary>
    /// How long the server may hold the reply back (XREAD BLOCK's time): added to the command
    /// timeout, and a command with it runs only on a dedicated connection.
    /// </summary>
    public TimeSpan BlockFor { get; init; }

    public override string ToString() => Name;

    // Sized once when the count is known, as it is for params and lists: every frame of every reply
    // builds commands here, and growing a list for each showed in the allocation profile.
    private static ReadOnlyMemory<byte>[] ToBytes(IEnumerable<RedisArg> arguments)
    {
        if (arguments is not IReadOnlyList<RedisArg> list)
        {
            return [.. arguments.Select(a => a.Bytes)];
        }

        var bytes = new ReadOnlyMemory<byte>[list.Count];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = list[i].Bytes;
        }

        return bytes;
    }
}

/// <summary>An argument's bytes. Converts from string (UTF-8), long, double and byte arrays.</summary>
public readonly record struct RedisArg(ReadOnlyMemory<byte> Bytes)
{
    public static implicit operator RedisArg(string value) => new(Encoding.UTF8.GetBytes(value));

    public static implicit operator RedisArg(byte[] value) => new(value);

    public static implicit operator RedisArg(ReadOnlyMemory<byte> value) => new(value);

    public static implicit operator RedisArg(long value)
    {
        // Formatted straight to bytes: a long has at most 20 characters with its sign.
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var written);
        return new(digits[..written].ToArray());
    }

    public static implicit operator RedisArg(double value) => new(Encoding.ASCII.GetBytes(value.ToString("R", CultureInfo.InvariantCulture)));

    public static RedisArg FromString(string value) => value;

    public static RedisArg FromBytes(ReadOnlyMemory<byte> value) => new(value);

    public static RedisArg FromInt64(long value) => value;

    public static RedisArg FromDouble(double value) => value;
}

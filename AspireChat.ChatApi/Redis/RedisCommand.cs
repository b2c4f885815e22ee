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
        Name = name;
        Arguments = [.. arguments.Select(a => a.Bytes)];
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
}

/// <summary>An argument's bytes. Converts from string (UTF-8), long, double and byte arrays.</summary>
public readonly record struct RedisArg(ReadOnlyMemory<byte> Bytes)
{
    public static implicit operator RedisArg(string value) => new(Encoding.UTF8.GetBytes(value));

    public static implicit operator RedisArg(byte[] value) => new(value);

    public static implicit operator RedisArg(ReadOnlyMemory<byte> value) => new(value);

    public static implicit operator RedisArg(long value) => new(Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)));

    public static implicit operator RedisArg(double value) => new(Encoding.ASCII.GetBytes(value.ToString("R", CultureInfo.InvariantCulture)));

    public static RedisArg FromString(string value) => value;

    public static RedisArg FromBytes(ReadOnlyMemory<byte> value) => new(value);

    public static RedisArg FromInt64(long value) => value;

    public static RedisArg FromDouble(double value) => value;
}

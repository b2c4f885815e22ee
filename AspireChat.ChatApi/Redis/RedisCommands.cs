using System.Text;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// The commands AspireChat uses, each named after the Redis command it sends and returning its
/// reply typed. Anything else goes through <see cref="IRedisCommandExecutor.ExecuteAsync"/>.
/// </summary>
public static class RedisCommands
{
    public static async Task<string?> PingAsync(this IRedisCommandExecutor redis, CancellationToken cancellationToken) =>
        (await redis.ExecuteAsync(new RedisCommand("PING"), cancellationToken)).AsString();

    public static async Task<byte[]?> GetAsync(this IRedisCommandExecutor redis, RedisArg key, CancellationToken cancellationToken)
    {
        var reply = await redis.ExecuteAsync(new RedisCommand("GET", key), cancellationToken);
        return reply.IsNull ? null : reply.Bytes.ToArray();
    }

    /// <summary>SET with optional PX and NX (a lease). False when NX and the key existed.</summary>
    public static async Task<bool> SetAsync(this IRedisCommandExecutor redis, RedisArg key, RedisArg value, TimeSpan? expiry, bool onlyIfNotExists, CancellationToken cancellationToken)
    {
        List<RedisArg> arguments = [key, value];
        if (expiry is { } ttl)
        {
            arguments.AddRange(["PX", (long)ttl.TotalMilliseconds]);
        }

        if (onlyIfNotExists)
        {
            arguments.Add("NX");
        }

        var reply = await redis.ExecuteAsync(new RedisCommand("SET", arguments), cancellationToken);
        return !reply.IsNull;
    }

    public static async Task<long> DelAsync(this IRedisCommandExecutor redis, IEnumerable<RedisArg> keys, CancellationToken cancellationToken) =>
        (await redis.ExecuteAsync(new RedisCommand("DEL", keys), cancellationToken)).Number;

    public static async Task<bool> PExpireAsync(this IRedisCommandExecutor redis, RedisArg key, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        (await redis.ExecuteAsync(PExpire(key, timeToLive), cancellationToken)).Number == 1;

    public static async Task<IReadOnlyDictionary<string, string>> HGetAllAsync(this IRedisCommandExecutor redis, RedisArg key, CancellationToken cancellationToken) =>
        ToDictionary(await redis.ExecuteAsync(new RedisCommand("HGETALL", key), cancellationToken));

    public static async Task<string?> HGetAsync(this IRedisCommandExecutor redis, RedisArg key, RedisArg field, CancellationToken cancellationToken) =>
        (await redis.ExecuteAsync(new RedisCommand("HGET", key, field), cancellationToken)).AsString();

    public static async Task<IReadOnlyList<ReadOnlyMemory<byte>>> LRangeAsync(this IRedisCommandExecutor redis, RedisArg key, long start, long stop, CancellationToken cancellationToken) =>
        [.. (await redis.ExecuteAsync(new RedisCommand("LRANGE", key, start, stop), cancellationToken)).Items.Select(i => i.Bytes)];

    public static async Task<long> LLenAsync(this IRedisCommandExecutor redis, RedisArg key, CancellationToken cancellationToken) =>
        (await redis.ExecuteAsync(new RedisCommand("LLEN", key), cancellationToken)).Number;

    /// <summary>ZRANGE key 0 -1 REV: members, highest score first.</summary>
    public static async Task<IReadOnlyList<string>> ZRangeDescendingAsync(this IRedisCommandExecutor redis, RedisArg key, CancellationToken cancellationToken) =>
        [.. (await redis.ExecuteAsync(new RedisCommand("ZRANGE", key, 0, -1, "REV"), cancellationToken)).Items.Select(i => i.AsString()!)];

    public static async Task<long> PublishAsync(this IRedisCommandExecutor redis, RedisArg channel, RedisArg message, CancellationToken cancellationToken) =>
        (await redis.ExecuteAsync(new RedisCommand("PUBLISH", channel, message), cancellationToken)).Number;

    /// <summary>XADD key MAXLEN ~ maxLength * field value ...: returns the new entry's id.</summary>
    public static async Task<string> XAddAsync(this IRedisCommandExecutor redis, RedisArg key, long maxLength, IEnumerable<KeyValuePair<string, RedisArg>> fields, CancellationToken cancellationToken)
    {
        List<RedisArg> arguments = [key, "MAXLEN", "~", maxLength, "*"];
        foreach (var (field, value) in fields)
        {
            arguments.Add(field);
            arguments.Add(value);
        }

        return (await redis.ExecuteAsync(new RedisCommand("XADD", arguments), cancellationToken)).AsString()!;
    }

    /// <summary>XRANGE key start end [COUNT n]; "-" and "+" are the ends of the stream.</summary>
    public static async Task<IReadOnlyList<RedisStreamEntry>> XRangeAsync(this IRedisCommandExecutor redis, RedisArg key, string start, string end, int? count, CancellationToken cancellationToken)
    {
        List<RedisArg> arguments = [key, start, end];
        if (count is { } n)
        {
            arguments.AddRange(["COUNT", n]);
        }

        return ToEntries(await redis.ExecuteAsync(new RedisCommand("XRANGE", arguments), cancellationToken));
    }

    /// <summary>
    /// XREAD [BLOCK ms] COUNT n STREAMS key afterId: entries after <paramref name="afterId"/>, waiting up to
    /// <paramref name="block"/> for one. Blocking needs a dedicated connection (<see cref="IRedisClient.LeaseAsync"/>).
    /// </summary>
    public static async Task<IReadOnlyList<RedisStreamEntry>> XReadAsync(this IRedisCommandExecutor redis, RedisArg key, string afterId, int count, TimeSpan? block, CancellationToken cancellationToken)
    {
        List<RedisArg> arguments = [];
        if (block is { } wait)
        {
            arguments.AddRange(["BLOCK", (long)wait.TotalMilliseconds]);
        }

        arguments.AddRange(["COUNT", count, "STREAMS", key, afterId]);
        var reply = await redis.ExecuteAsync(new RedisCommand("XREAD", arguments) { BlockFor = block ?? TimeSpan.Zero }, cancellationToken);
        // [[key, entries]] or null when BLOCK timed out.
        return reply.IsNull || reply.Items.Count == 0 ? [] : ToEntries(reply.Items[0].Items[1]);
    }

    /// <summary>
    /// EVALSHA sha numkeys keys... args...: runs <paramref name="script"/> by its hash, and with EVAL
    /// (which also caches it again) when Redis answers NOSCRIPT. Returns the script's reply.
    /// </summary>
    public static async Task<RespValue> EvalShaAsync(this IRedisCommandExecutor redis, RedisScript script, IReadOnlyList<RedisArg> keys, IReadOnlyList<RedisArg> arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(arguments);
        try
        {
            return await redis.ExecuteAsync(new RedisCommand("EVALSHA", [script.Sha1, keys.Count, .. keys, .. arguments]), cancellationToken);
        }
        catch (RedisServerException ex) when (ex.Prefix == "NOSCRIPT")
        {
            // Nothing ran: Redis did not know the script.
            return await redis.ExecuteAsync(new RedisCommand("EVAL", [script.Source, keys.Count, .. keys, .. arguments]), cancellationToken);
        }
    }

    public static RedisCommand PExpire(RedisArg key, TimeSpan timeToLive) => new("PEXPIRE", key, (long)timeToLive.TotalMilliseconds);

    public static IReadOnlyDictionary<string, string> ToDictionary(RespValue reply)
    {
        var result = new Dictionary<string, string>(reply.Items.Count / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < reply.Items.Count; i += 2)
        {
            result[reply.Items[i].AsString()!] = reply.Items[i + 1].AsString()!;
        }

        return result;
    }

    private static List<RedisStreamEntry> ToEntries(RespValue reply) =>
        [.. reply.Items.Select(entry => new RedisStreamEntry(
            entry.Items[0].AsString()!,
            [.. entry.Items[1].Items.Chunk(2).Select(pair => KeyValuePair.Create(Encoding.UTF8.GetString(pair[0].Bytes.Span), pair[1].Bytes))]))];
}

/// <summary>One stream entry: its id and its field/value pairs in order.</summary>
public sealed record RedisStreamEntry(string Id, IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<byte>>> Fields);

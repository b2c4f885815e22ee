using StackExchange.Redis;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// The Lua scripts of live replies (docs/redis.md). Each runs atomically in Redis. They are sent as
/// text to <see cref="IDatabaseAsync.ScriptEvaluateAsync(string, RedisKey[], RedisValue[], CommandFlags)"/>:
/// StackExchange.Redis runs them by SHA1 once Redis has them, and sends the text again when Redis
/// answers NOSCRIPT (after a restart or SCRIPT FLUSH).
/// </summary>
internal static class RedisReplyScripts
{
    /// <summary>
    /// Claims the conversation (SET NX), starts the reply's lease and records it as the conversation's
    /// latest reply, in one round trip before the first chunk. KEYS: active, lease, latest. ARGV: message
    /// id, lease ms, latest's time to live ms. Returns 0 when the conversation is busy, else the previous
    /// latest reply's id ("" when there was none).
    /// </summary>
    public const string Claim = """
        if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
        return redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[3], 'GET') or ''
        """;

    /// <summary>
    /// Stores frames and publishes them, in one atomic step, so a frame is never published before it is
    /// stored. KEYS: the reply's stream, the conversation's active key. ARGV: max stream length, the
    /// stream's time to live in ms ("0" leaves it), the channel, the message (every frame's envelope),
    /// the message id whose claim on the conversation to release ("" for none), the owner and the user
    /// message JSON ("" unless the first frame is the reply's start), then per frame: entry id, frame
    /// JSON, seq.
    /// </summary>
    private const string Store = """
        for i = 8, #ARGV, 3 do
          if i == 8 and ARGV[6] ~= '' then
            redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], ARGV[i], 'frame', ARGV[i + 1], 'seq', ARGV[i + 2], 'owner', ARGV[6], 'user', ARGV[7])
          else
            redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], ARGV[i], 'frame', ARGV[i + 1], 'seq', ARGV[i + 2])
          end
        end
        if ARGV[2] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        if ARGV[5] ~= '' and redis.call('GET', KEYS[2]) == ARGV[5] then redis.call('DEL', KEYS[2]) end
        redis.call('PUBLISH', ARGV[3], ARGV[4])
        return 1
        """;

    /// <summary>
    /// Renews the reply's lease; while it streams, also its claim on the conversation, only while it
    /// holds it, and gets it back if it vanished (a Redis restart). KEYS: active, lease. ARGV: message
    /// id, lease ms, "1" while streaming. Returns 0 when another reply holds the conversation.
    /// </summary>
    public const string Renew = """
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
        if ARGV[3] == '0' then return 1 end
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 2 end
        return 0
        """;

    /// <summary>
    /// Releases the conversation if this reply still holds it, and deletes the reply's lease when given.
    /// KEYS: active[, lease]. ARGV: message id.
    /// </summary>
    public const string Release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
        if KEYS[2] then redis.call('DEL', KEYS[2]) end
        return 1
        """;

    /// <summary>
    /// The producer is done: the stream keeps the retention (or goes, when the reply was refused before
    /// its start), the conversation is released if still held, the lease is deleted. KEYS: stream,
    /// active, lease. ARGV: message id, retention ms, "1" when the reply ended.
    /// </summary>
    public const string Finish = """
        if ARGV[3] == '1' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) else redis.call('DEL', KEYS[1]) end
        if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
        redis.call('DEL', KEYS[3])
        return 1
        """;

    /// <summary>The arguments of <see cref="Store"/> before the frames: frames go at <c>StoreHeader + 3 * i</c>.</summary>
    public const int StoreHeader = 7;

    /// <summary>Runs <see cref="Store"/> with <paramref name="arguments"/> laid out as it reads them.</summary>
    public static Task<RedisResult> StoreAsync(IDatabaseAsync redis, RedisKey stream, RedisKey active, RedisValue[] arguments) =>
        redis.ScriptEvaluateAsync(Store, [stream, active], arguments);

    /// <summary>
    /// <see cref="Store"/>'s arguments for <paramref name="frames"/> frames: the header filled in, the
    /// frames and the message left to the caller (<see cref="SetFrame"/>, <see cref="SetMessage"/>).
    /// </summary>
    public static RedisValue[] StoreArguments(int frames, RedisValue maxLength, TimeSpan? timeToLive, RedisValue channel, string? release, string? ownerId, byte[]? userJson)
    {
        var arguments = new RedisValue[StoreHeader + (3 * frames)];
        arguments[0] = maxLength;
        arguments[1] = timeToLive is { } ttl ? (long)ttl.TotalMilliseconds : 0;
        arguments[2] = channel;
        arguments[4] = release ?? "";
        arguments[5] = ownerId ?? "";
        arguments[6] = userJson ?? RedisValue.EmptyString;
        return arguments;
    }

    public static void SetMessage(RedisValue[] arguments, ReadOnlyMemory<byte> message)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        arguments[3] = message;
    }

    public static void SetFrame(RedisValue[] arguments, int index, long n, ReadOnlyMemory<byte> frameJson, long seq)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var at = StoreHeader + (3 * index);
        arguments[at] = RedisReplyKeys.EntryId(n);
        arguments[at + 1] = frameJson;
        arguments[at + 2] = seq;
    }
}

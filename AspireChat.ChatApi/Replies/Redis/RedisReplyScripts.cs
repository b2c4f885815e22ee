using AspireChat.ChatApi.Redis;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>
/// The Lua scripts of the conversation lease and of live replies (docs/redis.md). Each runs atomically in Redis and
/// takes named parameters (<see cref="LuaScript"/>: <c>RedisKey</c> members of the parameter object become KEYS, the
/// rest ARGV). StackExchange.Redis runs them by SHA1 once Redis has them, and sends the text again when Redis
/// answers NOSCRIPT (after a restart or SCRIPT FLUSH).
/// </summary>
internal static class RedisReplyScripts
{
    /// <summary>
    /// Takes the conversation lease for a reply and makes it the conversation's latest, in one round trip before the
    /// first chunk. A conversation that is not the owner's (unless it is new) is refused before anything is written.
    /// Returns <c>{'taken', previous latest or ''}</c>, <c>{'busy'}</c> or <c>{'not_found'}</c>.
    /// </summary>
    public static readonly LuaScript TakeLease = LuaScript.Prepare($$"""
        if @IsNew == '0' and redis.call('HGET', @Conversation, '{{RedisKeys.ConversationFields.Owner}}') ~= @Owner then return {'not_found'} end
        if not redis.call('SET', @Lease, @MessageId, 'NX', 'PX', @LeaseMs) then return {'busy'} end
        return {'taken', redis.call('SET', @Latest, @MessageId, 'PX', @LatestMs, 'GET') or ''}
        """);

    /// <summary>
    /// Renews the conversation lease while the reply holds it, and takes it back if it vanished (a Redis restart).
    /// Returns 0 when another reply holds it.
    /// </summary>
    public static readonly LuaScript RenewLease = LuaScript.Prepare("""
        local holder = redis.call('GET', @Lease)
        if holder == @MessageId then return redis.call('PEXPIRE', @Lease, @LeaseMs) end
        if not holder then redis.call('SET', @Lease, @MessageId, 'PX', @LeaseMs); return 2 end
        return 0
        """);

    /// <summary>Releases the conversation lease if the reply still holds it.</summary>
    public static readonly LuaScript ReleaseLease = LuaScript.Prepare("""
        if redis.call('GET', @Lease) == @MessageId then redis.call('DEL', @Lease) end
        return 1
        """);

    /// <summary>
    /// Stores a batch of the reply's frames and publishes them as one message, atomically: a frame is never published
    /// before it is stored. <c>@Frames</c> holds the frames' JSON, each followed by a newline (compact JSON holds
    /// none), numbered from <c>@FirstFrame</c>; <c>@Seqs</c> their seqs. The batch that starts the stream also gives
    /// its first entry the owner, the user message and the origin, sets the stream's time to live and the producer's
    /// lease, and publishes <c>@Echo</c> (the user frame) ahead of the frames. A finalizer releases the dead reply's
    /// conversation lease (<c>@Release</c>). <c>@Publish</c> is <c>SPUBLISH</c> when the channels are sharded: the
    /// channel carries the conversation's hash tag, so it is on this script's slot.
    /// </summary>
    public static readonly LuaScript Store = LuaScript.Prepare("""
        local first = tonumber(@FirstFrame)
        local seqs = {}
        for seq in string.gmatch(@Seqs, '%d+') do seqs[#seqs + 1] = seq end
        local message = {}
        if @Echo ~= '' then message[1] = '0 ' .. @MessageId .. ' ' .. @Origin .. '\n' .. @Echo end
        local i = 0
        for frame in string.gmatch(@Frames, '[^\n]+') do
          local n = first + i
          i = i + 1
          if n == 1 and @Owner ~= '' then
            redis.call('XADD', @Stream, 'MAXLEN', '~', @MaxLength, '0-' .. n, 'frame', frame, 'seq', seqs[i], 'owner', @Owner, 'user', @User, 'origin', @Origin)
          else
            redis.call('XADD', @Stream, 'MAXLEN', '~', @MaxLength, '0-' .. n, 'frame', frame, 'seq', seqs[i])
          end
          message[#message + 1] = n .. ' ' .. @MessageId .. ' ' .. @Origin .. '\n' .. frame
        end
        if @StreamMs ~= '0' then redis.call('PEXPIRE', @Stream, @StreamMs) end
        if @ProducerMs ~= '0' then redis.call('SET', @Producer, '1', 'PX', @ProducerMs) end
        if @Release ~= '' and redis.call('GET', @Lease) == @Release then redis.call('DEL', @Lease) end
        redis.call(@Publish, @Channel, table.concat(message, '\n'))
        return i
        """);

    /// <summary>The producer is done: the stream keeps the retention (or goes, when the reply never started), the producer's lease goes.</summary>
    public static readonly LuaScript Finish = LuaScript.Prepare("""
        if @Ended == '1' then redis.call('PEXPIRE', @Stream, @RetentionMs) else redis.call('DEL', @Stream) end
        redis.call('DEL', @Producer)
        return 1
        """);
}

/// <summary><see cref="RedisReplyScripts.TakeLease"/>'s parameters.</summary>
internal sealed record TakeLeaseParameters(RedisKey Conversation, RedisKey Lease, RedisKey Latest, string Owner, string MessageId, string IsNew, long LeaseMs, long LatestMs);

/// <summary><see cref="RedisReplyScripts.RenewLease"/>'s and <see cref="RedisReplyScripts.ReleaseLease"/>'s parameters.</summary>
internal sealed record LeaseParameters(RedisKey Lease, string MessageId, long LeaseMs = 0);

/// <summary><see cref="RedisReplyScripts.Store"/>'s parameters; empty strings (and "0" times) for what a batch does not do.</summary>
internal sealed record StoreParameters(
    RedisKey Stream,
    RedisKey Lease,
    RedisKey Producer,
    string Channel,
    string Publish,
    string MessageId,
    string Origin,
    long FirstFrame,
    ReadOnlyMemory<byte> Frames,
    string Seqs,
    long MaxLength,
    long StreamMs = 0,
    long ProducerMs = 0,
    string Owner = "",
    ReadOnlyMemory<byte> User = default,
    ReadOnlyMemory<byte> Echo = default,
    string Release = "");

/// <summary><see cref="RedisReplyScripts.Finish"/>'s parameters.</summary>
internal sealed record FinishParameters(RedisKey Stream, RedisKey Producer, string Ended, long RetentionMs);

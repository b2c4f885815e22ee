using System.Globalization;
using System.Text.Json;
using AspireChat.ChatApi.Redis;
using Microsoft.Extensions.Options;
using static AspireChat.ChatApi.Conversations.RedisConversationKeys;

namespace AspireChat.ChatApi.Conversations;

/// <summary>
/// Conversations in Redis: a hash of metadata, a list of message JSON and a per-owner sorted set
/// (docs/redis.md). Every write is atomic (MULTI/EXEC, or a script for an append), and every write
/// refreshes the time to live of all three keys. Appending is one script on the shared connection:
/// it checks the owner and writes in the same atomic step, so a concurrent delete either comes
/// after it (and removes the turn with the rest) or before it (and the append finds no owner).
/// </summary>
public sealed class RedisConversationStore(IRedisClient redis, IOptions<ConversationOptions> options, TimeProvider timeProvider) : IConversationStore
{
    // KEYS: the hash, the message list, the owner's index. ARGV: owner, turn (ids of the user message
    // and the reply), user message JSON, reply JSON, MaxMessages, updatedAt, time to live in ms, now and
    // the oldest live score in Unix ms, conversation id. Returns 0 when the conversation is not the
    // owner's, 1 when the turn was appended, 2 when it was already (a retry whose first reply was lost).
    private static readonly RedisScript AppendTurnScript = new($$"""
        local meta = redis.call('HMGET', KEYS[1], '{{OwnerField}}', '{{LastTurnField}}')
        if meta[1] ~= ARGV[1] then return 0 end
        if meta[2] == ARGV[2] then return 2 end
        redis.call('RPUSH', KEYS[2], ARGV[3], ARGV[4])
        redis.call('LTRIM', KEYS[2], -tonumber(ARGV[5]), -1)
        redis.call('HSET', KEYS[1], '{{UpdatedAtField}}', ARGV[6], '{{LastTurnField}}', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[7])
        redis.call('PEXPIRE', KEYS[2], ARGV[7])
        redis.call('ZADD', KEYS[3], ARGV[8], ARGV[10])
        redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[9])
        redis.call('PEXPIRE', KEYS[3], ARGV[7])
        return 1
        """);

    public async Task<ConversationSummary> CreateAsync(string ownerId, string title, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(title);
        var id = ConversationIds.New();
        var now = timeProvider.GetUtcNow();
        var stamp = Format(now);
        var ttl = options.Value.TimeToLive;
        await redis.TransactionAsync(
            [
                new RedisCommand("HSET", Conversation(id), OwnerField, ownerId, TitleField, title, CreatedAtField, stamp, UpdatedAtField, stamp),
                RedisCommands.PExpire(Conversation(id), ttl),
                .. IndexUpdate(ownerId, id, now, ttl),
            ],
            cancellationToken);
        return new ConversationSummary(id, title, now, now, 0);
    }

    public async Task<IReadOnlyList<ConversationSummary>> ListAsync(string ownerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        var ids = await redis.ZRangeDescendingAsync(OwnerIndex(ownerId), cancellationToken);
        // One round trip's worth of waiting: the reads are pipelined on the shared connection.
        var summaries = await Task.WhenAll(ids.Select(id => ReadSummaryAsync(ownerId, id, cancellationToken)));
        return [.. summaries.OfType<ConversationSummary>().OrderByDescending(s => s.UpdatedAt)];
    }

    public async Task<Conversation?> GetAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        // In one transaction, so the messages match the metadata they are read with.
        var replies = await redis.TransactionAsync(
            [new RedisCommand("HGETALL", Conversation(conversationId)), new RedisCommand("LRANGE", Messages(conversationId), 0, -1)],
            cancellationToken);
        var meta = RedisCommands.ToDictionary(replies![0]);
        if (!IsOwnedBy(meta, ownerId))
        {
            return null;
        }

        ConversationMessage[] messages = [.. replies[1].Items.Select(item =>
            JsonSerializer.Deserialize(item.Bytes.Span, RedisConversationJsonContext.Default.ConversationMessage)!)];
        return new Conversation(conversationId, meta[TitleField], Parse(meta[CreatedAtField]), Parse(meta[UpdatedAtField]), messages);
    }

    public async Task<bool> AppendTurnAsync(string ownerId, string conversationId, ConversationMessage userMessage, ConversationMessage assistantMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        ArgumentNullException.ThrowIfNull(userMessage);
        ArgumentNullException.ThrowIfNull(assistantMessage);
        var now = timeProvider.GetUtcNow();
        var ttl = options.Value.TimeToLive;
        var reply = await redis.EvalShaAsync(
            AppendTurnScript,
            [Conversation(conversationId), Messages(conversationId), OwnerIndex(ownerId)],
            [
                ownerId,
                $"{userMessage.Id} {assistantMessage.Id}",
                JsonSerializer.SerializeToUtf8Bytes(userMessage, RedisConversationJsonContext.Default.ConversationMessage),
                JsonSerializer.SerializeToUtf8Bytes(assistantMessage, RedisConversationJsonContext.Default.ConversationMessage),
                options.Value.MaxMessages,
                Format(now),
                (long)ttl.TotalMilliseconds,
                now.ToUnixTimeMilliseconds(),
                (now - ttl).ToUnixTimeMilliseconds(),
                conversationId,
            ],
            cancellationToken);
        return reply.Number != 0;
    }

    public async Task<bool> DeleteAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        if (await redis.HGetAsync(Conversation(conversationId), OwnerField, cancellationToken) != ownerId)
        {
            return false;
        }

        // An append that runs after this finds no owner and reports not found; one that ran before is deleted with the rest.
        await redis.TransactionAsync(
            [new RedisCommand("DEL", Conversation(conversationId), Messages(conversationId)), new RedisCommand("ZREM", OwnerIndex(ownerId), conversationId)],
            cancellationToken);
        return true;
    }

    private async Task<ConversationSummary?> ReadSummaryAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        var replies = await redis.TransactionAsync(
            [new RedisCommand("HGETALL", Conversation(conversationId)), new RedisCommand("LLEN", Messages(conversationId))],
            cancellationToken);
        var meta = RedisCommands.ToDictionary(replies![0]);
        // Expired (the index outlives nothing by more than its own TTL) or not the owner's.
        return IsOwnedBy(meta, ownerId)
            ? new ConversationSummary(conversationId, meta[TitleField], Parse(meta[CreatedAtField]), Parse(meta[UpdatedAtField]), (int)replies[1].Number)
            : null;
    }

    /// <summary>Moves the conversation to the top of the owner's index and forgets ids that have expired.</summary>
    private static RedisCommand[] IndexUpdate(string ownerId, string conversationId, DateTimeOffset now, TimeSpan ttl) =>
    [
        new RedisCommand("ZADD", OwnerIndex(ownerId), now.ToUnixTimeMilliseconds(), conversationId),
        new RedisCommand("ZREMRANGEBYSCORE", OwnerIndex(ownerId), "-inf", $"({(now - ttl).ToUnixTimeMilliseconds()}"),
        RedisCommands.PExpire(OwnerIndex(ownerId), ttl),
    ];

    private static bool IsOwnedBy(IReadOnlyDictionary<string, string> meta, string ownerId) =>
        meta.TryGetValue(OwnerField, out var owner) && owner == ownerId;

    private static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.ParseExact(value, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);
}

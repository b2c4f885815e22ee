using System.Globalization;
using System.Text.Json;
using AspireChat.ChatApi.Redis;
using Microsoft.Extensions.Options;
using static AspireChat.ChatApi.Conversations.RedisConversationKeys;

namespace AspireChat.ChatApi.Conversations;

/// <summary>
/// Conversations in Redis: a hash of metadata, a list of message JSON and a per-owner sorted set
/// (docs/redis.md). Every write is one MULTI/EXEC, and every write refreshes the time to live of
/// all three keys. Appending checks ownership with WATCH on the metadata hash, on a dedicated
/// connection, so a concurrent delete aborts the EXEC instead of bringing the conversation back.
/// </summary>
public sealed class RedisConversationStore(IRedisClient redis, IOptions<ConversationOptions> options, TimeProvider timeProvider) : IConversationStore
{
    // A WATCH loses only when another append to the same conversation won in between, so this
    // many attempts covers that many concurrent turns (the chat allows one at a time).
    private const int MaxWatchAttempts = 32;

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
        var meta = Conversation(conversationId);
        var turn = $"{userMessage.Id} {assistantMessage.Id}";
        var ttl = options.Value.TimeToLive;
        var user = JsonSerializer.SerializeToUtf8Bytes(userMessage, RedisConversationJsonContext.Default.ConversationMessage);
        var assistant = JsonSerializer.SerializeToUtf8Bytes(assistantMessage, RedisConversationJsonContext.Default.ConversationMessage);

        // WATCH is per connection, so this runs on a dedicated one.
        await using var lease = await redis.LeaseAsync(cancellationToken);
        for (var attempt = 0; attempt < MaxWatchAttempts; attempt++)
        {
            await lease.ExecuteAsync(new RedisCommand("WATCH", meta), cancellationToken);
            var fields = await lease.ExecuteAsync(new RedisCommand("HMGET", meta, OwnerField, LastTurnField), cancellationToken);
            if (fields.Items[0].AsString() != ownerId)
            {
                await lease.ExecuteAsync(new RedisCommand("UNWATCH"), cancellationToken);
                return false;
            }

            if (fields.Items[1].AsString() == turn)
            {
                // A retry of an append whose EXEC went through but whose reply was lost.
                await lease.ExecuteAsync(new RedisCommand("UNWATCH"), cancellationToken);
                return true;
            }

            var now = timeProvider.GetUtcNow();
            var applied = await lease.TransactionAsync(
                [
                    new RedisCommand("RPUSH", Messages(conversationId), user, assistant),
                    new RedisCommand("LTRIM", Messages(conversationId), -options.Value.MaxMessages, -1),
                    new RedisCommand("HSET", meta, UpdatedAtField, Format(now), LastTurnField, turn),
                    RedisCommands.PExpire(meta, ttl),
                    RedisCommands.PExpire(Messages(conversationId), ttl),
                    .. IndexUpdate(ownerId, conversationId, now, ttl),
                ],
                cancellationToken);
            if (applied is not null)
            {
                return true;
            }

            // The metadata changed between WATCH and EXEC (another turn, a delete): nothing was
            // applied; look again, after a moment so concurrent appends do not retry in step.
            await Task.Delay(Random.Shared.Next(1, 5 + attempt), cancellationToken);
        }

        throw new RedisException($"The conversation kept changing; the turn was not appended after {MaxWatchAttempts} attempts.");
    }

    public async Task<bool> DeleteAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        if (await redis.HGetAsync(Conversation(conversationId), OwnerField, cancellationToken) != ownerId)
        {
            return false;
        }

        // A turn appended concurrently sees the hash gone at EXEC (its WATCH) and reports not found.
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

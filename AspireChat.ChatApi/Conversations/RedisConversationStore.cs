using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static AspireChat.ChatApi.Conversations.RedisConversationKeys;

namespace AspireChat.ChatApi.Conversations;

/// <summary>
/// Conversations in Redis: a hash of metadata, a list of message JSON and a per-owner sorted set
/// (docs/redis.md). Every write is atomic (MULTI/EXEC, or a script for an append), and every write
/// refreshes the time to live of all three keys. Appending is one script: it checks the owner and
/// writes in the same atomic step, so a concurrent delete either comes after it (and removes the
/// turn with the rest) or before it (and the append finds no owner).
/// </summary>
public sealed class RedisConversationStore(IConnectionMultiplexer redis, IOptions<ConversationOptions> options, TimeProvider timeProvider) : IConversationStore
{
    // Returns 0 when the conversation is not the owner's, 1 when the turn was appended, 2 when it was
    // already (a retry whose first reply was lost). StackExchange.Redis sends it by its SHA1 and sends
    // the text again when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH).
    private static readonly LuaScript AppendTurnScript = LuaScript.Prepare($$"""
        local meta = redis.call('HMGET', @Conversation, '{{OwnerField}}', '{{LastTurnField}}')
        if meta[1] ~= @Owner then return 0 end
        if meta[2] == @Turn then return 2 end
        redis.call('RPUSH', @Messages, @User, @Reply)
        redis.call('LTRIM', @Messages, -tonumber(@MaxMessages), -1)
        redis.call('HSET', @Conversation, '{{UpdatedAtField}}', @UpdatedAt, '{{LastTurnField}}', @Turn)
        redis.call('PEXPIRE', @Conversation, @Ttl)
        redis.call('PEXPIRE', @Messages, @Ttl)
        redis.call('ZADD', @Index, @Score, @Id)
        redis.call('ZREMRANGEBYSCORE', @Index, '-inf', '(' .. @OldestScore)
        redis.call('PEXPIRE', @Index, @Ttl)
        return 1
        """);

    private IDatabase Database => redis.GetDatabase();

    public async Task<ConversationSummary> CreateAsync(string ownerId, string title, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(title);
        var id = ConversationIds.New();
        var now = timeProvider.GetUtcNow();
        var stamp = Format(now);
        var ttl = options.Value.TimeToLive;
        var transaction = Database.CreateTransaction();
        _ = transaction.HashSetAsync(Conversation(id), [new(OwnerField, ownerId), new(TitleField, title), new(CreatedAtField, stamp), new(UpdatedAtField, stamp)]);
        _ = transaction.KeyExpireAsync(Conversation(id), ttl);
        UpdateIndex(transaction, ownerId, id, now, ttl);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
        return new ConversationSummary(id, title, now, now, 0);
    }

    public async Task<IReadOnlyList<ConversationSummary>> ListAsync(string ownerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        var ids = await Database.SortedSetRangeByRankAsync(OwnerIndex(ownerId), order: Order.Descending).WaitAsync(cancellationToken);
        // One round trip's worth of waiting: the reads are pipelined on the multiplexer.
        var summaries = await Task.WhenAll(ids.Select(id => ReadSummaryAsync(ownerId, id!))).WaitAsync(cancellationToken);
        return [.. summaries.OfType<ConversationSummary>().OrderByDescending(s => s.UpdatedAt)];
    }

    public async Task<Conversation?> GetAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        // In one transaction, so the messages match the metadata they are read with.
        var transaction = Database.CreateTransaction();
        var reading = transaction.HashGetAllAsync(Conversation(conversationId));
        var listing = transaction.ListRangeAsync(Messages(conversationId));
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
        var meta = (await reading).ToStringDictionary();
        if (!IsOwnedBy(meta, ownerId))
        {
            return null;
        }

        ConversationMessage[] messages = [.. (await listing).Select(item =>
            JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)item).Span, RedisConversationJsonContext.Default.ConversationMessage)!)];
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
        var result = await Database.ScriptEvaluateAsync(AppendTurnScript, new AppendTurn(
            Conversation(conversationId),
            Messages(conversationId),
            OwnerIndex(ownerId),
            ownerId,
            $"{userMessage.Id} {assistantMessage.Id}",
            JsonSerializer.SerializeToUtf8Bytes(userMessage, RedisConversationJsonContext.Default.ConversationMessage),
            JsonSerializer.SerializeToUtf8Bytes(assistantMessage, RedisConversationJsonContext.Default.ConversationMessage),
            options.Value.MaxMessages,
            Format(now),
            (long)ttl.TotalMilliseconds,
            now.ToUnixTimeMilliseconds(),
            (now - ttl).ToUnixTimeMilliseconds(),
            conversationId)).WaitAsync(cancellationToken);
        return (long)result != 0;
    }

    public async Task<bool> DeleteAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        if (await Database.HashGetAsync(Conversation(conversationId), OwnerField).WaitAsync(cancellationToken) != ownerId)
        {
            return false;
        }

        // An append that runs after this finds no owner and reports not found; one that ran before is deleted with the rest.
        var transaction = Database.CreateTransaction();
        _ = transaction.KeyDeleteAsync([Conversation(conversationId), Messages(conversationId)]);
        _ = transaction.SortedSetRemoveAsync(OwnerIndex(ownerId), conversationId);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
        return true;
    }

    private async Task<ConversationSummary?> ReadSummaryAsync(string ownerId, string conversationId)
    {
        var transaction = Database.CreateTransaction();
        var reading = transaction.HashGetAllAsync(Conversation(conversationId));
        var counting = transaction.ListLengthAsync(Messages(conversationId));
        await transaction.ExecuteAsync();
        var meta = (await reading).ToStringDictionary();
        // Expired (the index outlives nothing by more than its own TTL) or not the owner's.
        return IsOwnedBy(meta, ownerId)
            ? new ConversationSummary(conversationId, meta[TitleField], Parse(meta[CreatedAtField]), Parse(meta[UpdatedAtField]), (int)await counting)
            : null;
    }

    /// <summary>Moves the conversation to the top of the owner's index and forgets ids that have expired.</summary>
    private static void UpdateIndex(ITransaction transaction, string ownerId, string conversationId, DateTimeOffset now, TimeSpan ttl)
    {
        _ = transaction.SortedSetAddAsync(OwnerIndex(ownerId), conversationId, now.ToUnixTimeMilliseconds());
        _ = transaction.SortedSetRemoveRangeByScoreAsync(OwnerIndex(ownerId), double.NegativeInfinity, (now - ttl).ToUnixTimeMilliseconds(), Exclude.Stop);
        _ = transaction.KeyExpireAsync(OwnerIndex(ownerId), ttl);
    }

    private static bool IsOwnedBy(Dictionary<string, string> meta, string ownerId) =>
        meta.TryGetValue(OwnerField, out var owner) && owner == ownerId;

    private static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.ParseExact(value, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);

    /// <summary>The append script's parameters, by name (<see cref="LuaScript"/> maps RedisKey members to KEYS, the rest to ARGV).</summary>
    private sealed record AppendTurn(
        RedisKey Conversation,
        RedisKey Messages,
        RedisKey Index,
        string Owner,
        string Turn,
        byte[] User,
        byte[] Reply,
        int MaxMessages,
        string UpdatedAt,
        long Ttl,
        long Score,
        long OldestScore,
        string Id);
}

using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static AspireChat.ChatApi.Redis.RedisKeys;
using Fields = AspireChat.ChatApi.Redis.RedisKeys.ConversationFields;

namespace AspireChat.ChatApi.Conversations.Redis;

/// <summary>
/// Conversations in Redis: a hash of metadata, a list of message JSON and a per-owner sorted set
/// (docs/redis.md). The conversation's keys share its hash tag, the owner's index has the owner's, so
/// on a cluster they live in different slots: every write of a conversation is atomic (MULTI/EXEC, or a
/// script) and refreshes the time to live of its keys, and the index is written after it, in a command
/// of its own, in an order that leaves nothing wrong for a user if the second never runs. The list
/// holds the whole tree: each message names its parent, and the hash names the active leaf. Appending
/// is one script: it checks the owner and writes in the same atomic step, so a concurrent delete either
/// comes after it (and removes the turn with the rest) or before it (and the append finds no owner).
/// </summary>
public sealed partial class RedisConversationStore(IConnectionMultiplexer redis, IOptions<ConversationOptions> options, TimeProvider timeProvider) : IConversationStore
{
    // The ids of the list's messages, as a Lua set. Every element starts {"id":"…", (System.Text.Json writes
    // the first property first and escapes any quote inside a string), so the id is read without decoding
    // the whole message.
    private const string ReadIds = """
        local ids = {}
        for _, item in ipairs(redis.call('LRANGE', @Messages, 0, -1)) do
          local literal = string.match(item, '^{"id":("[^"]*")')
          if literal then ids[cjson.decode('[' .. literal .. ']')[1]] = true end
        end
        """;

    // Returns 0 when the conversation is not the owner's, 1 when the turn was appended, 2 when its reply
    // was already (a retry whose first answer was lost). A user message stored already (a regenerate) is
    // not added again. StackExchange.Redis sends it by its SHA1 and sends the text again when Redis
    // answers NOSCRIPT (after a restart or SCRIPT FLUSH).
    private static readonly LuaScript AppendTurnScript = LuaScript.Prepare($$"""
        if redis.call('HGET', @Conversation, '{{Fields.Owner}}') ~= @Owner then return 0 end
        {{ReadIds}}
        if ids[@ReplyId] then return 2 end
        if ids[@UserId] then
          redis.call('RPUSH', @Messages, @Reply)
        else
          redis.call('RPUSH', @Messages, @User, @Reply)
        end
        redis.call('LTRIM', @Messages, -tonumber(@MaxMessages), -1)
        redis.call('HSET', @Conversation, '{{Fields.UpdatedAt}}', @UpdatedAt, '{{Fields.Leaf}}', @ReplyId)
        redis.call('PEXPIRE', @Conversation, @Ttl)
        redis.call('PEXPIRE', @Messages, @Ttl)
        return 1
        """);

    // Returns 0 when the conversation is not the owner's or has no such message, else 1.
    private static readonly LuaScript SetLeafScript = LuaScript.Prepare($$"""
        if redis.call('HGET', @Conversation, '{{Fields.Owner}}') ~= @Owner then return 0 end
        {{ReadIds}}
        if not ids[@Leaf] then return 0 end
        redis.call('HSET', @Conversation, '{{Fields.Leaf}}', @Leaf)
        redis.call('PEXPIRE', @Conversation, @Ttl)
        redis.call('PEXPIRE', @Messages, @Ttl)
        return 1
        """);

    // Returns 0 when the conversation is not the owner's, else 1.
    private static readonly LuaScript RenameScript = LuaScript.Prepare($$"""
        if redis.call('HGET', @Conversation, '{{Fields.Owner}}') ~= @Owner then return 0 end
        redis.call('HSET', @Conversation, '{{Fields.Title}}', @Title)
        return 1
        """);

    private IDatabase Database => redis.GetDatabase();

    public async Task<ConversationSummary> CreateAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        ArgumentNullException.ThrowIfNull(title);
        var id = conversationId;
        var now = timeProvider.GetUtcNow();
        var stamp = Format(now);
        var ttl = options.Value.TimeToLive;
        // The conversation first, then the index: a crash in between leaves a conversation nobody lists, which expires.
        var transaction = Database.CreateTransaction();
        _ = transaction.HashSetAsync(Conversation(id), [new(Fields.Owner, ownerId), new(Fields.Title, title), new(Fields.CreatedAt, stamp), new(Fields.UpdatedAt, stamp)]);
        _ = transaction.KeyExpireAsync(Conversation(id), ttl);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
        await UpdateIndexAsync(ownerId, id, now, ttl).WaitAsync(cancellationToken);
        return new ConversationSummary(id, title, now, now, 0);
    }

    public async Task<IReadOnlyList<ConversationSummary>> ListAsync(string ownerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        // The owner's index of the old layout, pipelined with today's: almost always empty, and then dropped for good.
        var legacy = Database.SortedSetRangeByRankAsync(Legacy.OwnerConversations(ownerId));
        var ids = await Database.SortedSetRangeByRankAsync(OwnerConversations(ownerId), order: Order.Descending).WaitAsync(cancellationToken);
        if (await MoveOwnerFromLegacyLayoutAsync(ownerId, legacy, cancellationToken))
        {
            ids = await Database.SortedSetRangeByRankAsync(OwnerConversations(ownerId), order: Order.Descending).WaitAsync(cancellationToken);
        }

        // One round trip's worth of waiting: the reads are pipelined on the multiplexer.
        var summaries = await Task.WhenAll(ids.Select(id => ReadSummaryAsync(ownerId, id!))).WaitAsync(cancellationToken);
        return [.. summaries.OfType<ConversationSummary>().OrderByDescending(s => s.UpdatedAt)];
    }

    public async Task<bool> ExistsAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        var owner = await Database.HashGetAsync(Conversation(conversationId), Fields.Owner).WaitAsync(cancellationToken);
        return owner.IsNull && await MoveFromLegacyLayoutAsync(conversationId, cancellationToken)
            ? await ExistsAsync(ownerId, conversationId, cancellationToken)
            : owner == ownerId;
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
            return meta.Count == 0 && await MoveFromLegacyLayoutAsync(conversationId, cancellationToken)
                ? await GetAsync(ownerId, conversationId, cancellationToken)
                : null;
        }

        var messages = ReadMessages(await listing);
        return new Conversation(conversationId, meta[Fields.Title], Parse(meta[Fields.CreatedAt]), Parse(meta[Fields.UpdatedAt]), messages,
            ConversationTree.ActiveLeaf(messages, meta.GetValueOrDefault(Fields.Leaf)));
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
            ownerId,
            userMessage.Id,
            assistantMessage.Id,
            Serialize(userMessage),
            Serialize(assistantMessage with { ParentId = userMessage.Id }),
            options.Value.MaxMessages,
            Format(now),
            (long)ttl.TotalMilliseconds)).WaitAsync(cancellationToken);
        if ((long)result == 0)
        {
            // Not the owner's, or not under today's keys yet.
            return await MoveFromLegacyLayoutAsync(conversationId, cancellationToken)
                && await AppendTurnAsync(ownerId, conversationId, userMessage, assistantMessage, cancellationToken);
        }

        // Then the index (its own slot): a crash in between leaves the listing's order stale until the next write.
        // A retry (2) moves it too, since the first attempt may have stopped there.
        await UpdateIndexAsync(ownerId, conversationId, now, ttl).WaitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> SetActiveLeafAsync(string ownerId, string conversationId, string leafId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        ArgumentNullException.ThrowIfNull(leafId);
        var result = await Database.ScriptEvaluateAsync(SetLeafScript, new SetLeaf(
            Conversation(conversationId), Messages(conversationId), ownerId, leafId, (long)options.Value.TimeToLive.TotalMilliseconds)).WaitAsync(cancellationToken);
        return (long)result == 1
            || (await MoveFromLegacyLayoutAsync(conversationId, cancellationToken) && await SetActiveLeafAsync(ownerId, conversationId, leafId, cancellationToken));
    }

    public async Task<bool> RenameAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        ArgumentNullException.ThrowIfNull(title);
        var result = await Database.ScriptEvaluateAsync(RenameScript, new Rename(Conversation(conversationId), ownerId, title)).WaitAsync(cancellationToken);
        return (long)result == 1
            || (await MoveFromLegacyLayoutAsync(conversationId, cancellationToken) && await RenameAsync(ownerId, conversationId, title, cancellationToken));
    }

    public async Task<bool> DeleteAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        if (!await ExistsAsync(ownerId, conversationId, cancellationToken))
        {
            return false;
        }

        // An append that runs after this finds no owner and reports not found; one that ran before is deleted with the
        // rest. The index entry goes after: a crash in between leaves an id the listing skips, since its hash is gone.
        await Database.KeyDeleteAsync([Conversation(conversationId), Messages(conversationId)]).WaitAsync(cancellationToken);
        await Database.SortedSetRemoveAsync(OwnerConversations(ownerId), conversationId).WaitAsync(cancellationToken);
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
            ? new ConversationSummary(conversationId, meta[Fields.Title], Parse(meta[Fields.CreatedAt]), Parse(meta[Fields.UpdatedAt]), (int)await counting)
            : null;
    }

    /// <summary>Moves the conversation to the top of the owner's index and forgets ids that have expired, in one MULTI on the owner's slot.</summary>
    private Task<bool> UpdateIndexAsync(string ownerId, string conversationId, DateTimeOffset now, TimeSpan ttl)
    {
        var transaction = Database.CreateTransaction();
        _ = transaction.SortedSetAddAsync(OwnerConversations(ownerId), conversationId, now.ToUnixTimeMilliseconds());
        _ = transaction.SortedSetRemoveRangeByScoreAsync(OwnerConversations(ownerId), double.NegativeInfinity, (now - ttl).ToUnixTimeMilliseconds(), Exclude.Stop);
        _ = transaction.KeyExpireAsync(OwnerConversations(ownerId), ttl);
        return transaction.ExecuteAsync();
    }

    /// <summary>
    /// A message as the list holds it: a root's parent is written as "" so that a message without the
    /// field at all is known for one written before conversations were trees.
    /// </summary>
    private static byte[] Serialize(ConversationMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(message with { ParentId = message.ParentId ?? "" }, RedisConversationJsonContext.Default.ConversationMessage);

    /// <summary>
    /// The list's messages, oldest first. One written before trees has no parent field: it follows the
    /// element before it, so an old conversation reads as the single branch it was, with nothing migrated.
    /// </summary>
    internal static ConversationMessage[] ReadMessages(RedisValue[] items)
    {
        var messages = new ConversationMessage[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var message = JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)items[i]).Span, RedisConversationJsonContext.Default.ConversationMessage)!;
            messages[i] = message with
            {
                ParentId = message.ParentId switch
                {
                    null => i > 0 ? messages[i - 1].Id : null,
                    "" => null,
                    var parent => parent,
                },
            };
        }

        return messages;
    }

    private static bool IsOwnedBy(Dictionary<string, string> meta, string ownerId) =>
        meta.TryGetValue(Fields.Owner, out var owner) && owner == ownerId;

    private static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.ParseExact(value, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);

    /// <summary>The append script's parameters, by name (<see cref="LuaScript"/> maps RedisKey members to KEYS, the rest to ARGV).</summary>
    private sealed record AppendTurn(
        RedisKey Conversation,
        RedisKey Messages,
        string Owner,
        string UserId,
        string ReplyId,
        byte[] User,
        byte[] Reply,
        int MaxMessages,
        string UpdatedAt,
        long Ttl);

    private sealed record SetLeaf(RedisKey Conversation, RedisKey Messages, string Owner, string Leaf, long Ttl);

    private sealed record Rename(RedisKey Conversation, string Owner, string Title);
}

using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static AspireChat.ChatApi.Redis.RedisKeys;
using Fields = AspireChat.ChatApi.Redis.RedisKeys.ConversationFields;

namespace AspireChat.ChatApi.Conversations.Redis;

/// <summary>
/// Conversations in Redis: a hash of metadata, the messages by id with the order they were written in, and a
/// per-owner sorted set (docs/redis.md). The conversation's keys share its hash tag, the owner's index has the
/// owner's, so on a cluster they live in different slots: every write of a conversation is atomic (MULTI/EXEC, or a
/// script) and refreshes the time to live of its keys, and the index is written after it, in a command of its own,
/// in an order that leaves nothing wrong for a user if the second never runs. Each message names its parent and the
/// hash names the active leaf, so a turn reads its branch by walking up from a message (<see cref="GetPathAsync"/>)
/// and checks an id with HEXISTS: no command of a turn reads the whole tree. Appending is one script: it checks the
/// owner and writes in the same atomic step, so a concurrent delete either comes after it (and removes the turn with
/// the rest) or before it (and the append finds no owner).
/// </summary>
public sealed partial class RedisConversationStore(IConnectionMultiplexer redis, IOptions<ConversationOptions> options, TimeProvider timeProvider) : IConversationStore
{
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
        // In one transaction, so the messages match the metadata they are read with: the whole tree, for the reads
        // that show or search all of it (GET, export, shares, search, the branch switcher), never for a turn.
        var transaction = Database.CreateTransaction();
        var reading = transaction.HashGetAllAsync(Conversation(conversationId));
        var byId = transaction.HashGetAllAsync(MessagesById(conversationId));
        var order = transaction.SortedSetRangeByRankAsync(MessageOrder(conversationId));
        var listed = transaction.KeyExistsAsync(ListLayout.Messages(conversationId));
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
        var meta = (await reading).ToStringDictionary();
        if (!IsOwnedBy(meta, ownerId))
        {
            return meta.Count == 0 && await MoveFromLegacyLayoutAsync(conversationId, cancellationToken)
                ? await GetAsync(ownerId, conversationId, cancellationToken)
                : null;
        }

        if (await listed)
        {
            await ConvertListLayoutAsync(Database, conversationId, cancellationToken);
            return await GetAsync(ownerId, conversationId, cancellationToken);
        }

        var items = (await byId).ToDictionary(e => (string)e.Name!, e => e.Value, StringComparer.Ordinal);
        var messages = ReadMessages([.. (await order).Select(id => items.GetValueOrDefault((string)id!)).Where(item => !item.IsNull)]);
        return new Conversation(conversationId, meta[Fields.Title], Parse(meta[Fields.CreatedAt]), Parse(meta[Fields.UpdatedAt]), messages,
            ConversationTree.ActiveLeaf(messages, meta.GetValueOrDefault(Fields.Leaf)));
    }

    public async Task<ConversationPath?> GetPathAsync(string ownerId, string conversationId, string? toMessageId, int maxCharacters, string? idToCheck, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(PathScript, new ReadPath(
            Conversation(conversationId), MessagesById(conversationId), MessageOrder(conversationId), ListLayout.Messages(conversationId),
            ownerId, toMessageId ?? "", maxCharacters, idToCheck ?? "")).WaitAsync(cancellationToken))!;
        if ((long)result[0] is var status and not 1)
        {
            return await MoveToThisLayoutAsync(conversationId, status, cancellationToken)
                ? await GetPathAsync(ownerId, conversationId, toMessageId, maxCharacters, idToCheck, cancellationToken)
                : null;
        }

        var path = ReadMessages([.. result[6..].Reverse().Select(item => (RedisValue)item)]);
        return new ConversationPath(conversationId, (string)result[1]!, Parse((string)result[2]!), Parse((string)result[3]!),
            (string?)result[4] is { Length: > 0 } leaf ? leaf : null, path, (long)result[5] == 1);
    }

    public async Task<bool> AppendTurnAsync(string ownerId, string conversationId, ConversationMessage userMessage, ConversationMessage assistantMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        ArgumentNullException.ThrowIfNull(userMessage);
        ArgumentNullException.ThrowIfNull(assistantMessage);
        var now = timeProvider.GetUtcNow();
        var ttl = options.Value.TimeToLive;
        var result = (long)await Database.ScriptEvaluateAsync(AppendTurnScript, new AppendTurn(
            Conversation(conversationId),
            MessagesById(conversationId),
            MessageOrder(conversationId),
            ListLayout.Messages(conversationId),
            ownerId,
            userMessage.Id,
            assistantMessage.Id,
            Serialize(userMessage),
            Serialize(assistantMessage with { ParentId = userMessage.Id }),
            options.Value.MaxMessages,
            Format(now),
            (long)ttl.TotalMilliseconds)).WaitAsync(cancellationToken);
        if (result is 0 or ConvertFirst)
        {
            // Not the owner's, or not under today's keys yet.
            return await MoveToThisLayoutAsync(conversationId, result, cancellationToken)
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
        var result = (long)await Database.ScriptEvaluateAsync(SetLeafScript, new SetLeaf(
            Conversation(conversationId), MessagesById(conversationId), MessageOrder(conversationId), ListLayout.Messages(conversationId),
            ownerId, leafId, (long)options.Value.TimeToLive.TotalMilliseconds)).WaitAsync(cancellationToken);
        return result == 1
            || (await MoveToThisLayoutAsync(conversationId, result, cancellationToken) && await SetActiveLeafAsync(ownerId, conversationId, leafId, cancellationToken));
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
        await Database.KeyDeleteAsync([.. ConversationKeys(conversationId).Select(key => (RedisKey)key)]).WaitAsync(cancellationToken);
        await Database.SortedSetRemoveAsync(OwnerConversations(ownerId), conversationId).WaitAsync(cancellationToken);
        return true;
    }

    private async Task<ConversationSummary?> ReadSummaryAsync(string ownerId, string conversationId)
    {
        var transaction = Database.CreateTransaction();
        var reading = transaction.HashGetAllAsync(Conversation(conversationId));
        var counting = transaction.HashLengthAsync(MessagesById(conversationId));
        // A conversation not converted yet from the list of the release before: listing it does not convert it.
        var listed = transaction.ListLengthAsync(ListLayout.Messages(conversationId));
        await transaction.ExecuteAsync();
        var meta = (await reading).ToStringDictionary();
        // Expired (the index outlives nothing by more than its own TTL) or not the owner's.
        return IsOwnedBy(meta, ownerId)
            ? new ConversationSummary(conversationId, meta[Fields.Title], Parse(meta[Fields.CreatedAt]), Parse(meta[Fields.UpdatedAt]), (int)(await counting + await listed))
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
    /// Converts the conversation to this layout when a script answered <see cref="ConvertFirst"/>, or moves it from the
    /// untagged one when it answered 0 (not the owner's, or not under these keys). Returns whether to ask again.
    /// </summary>
    private async Task<bool> MoveToThisLayoutAsync(string conversationId, long scriptResult, CancellationToken cancellationToken)
    {
        if (scriptResult == ConvertFirst)
        {
            await ConvertListLayoutAsync(Database, conversationId, cancellationToken);
            return true;
        }

        return await MoveFromLegacyLayoutAsync(conversationId, cancellationToken);
    }

    /// <summary>
    /// A message as the store holds it: a root's parent is written as "" so that a message without the
    /// field at all is known for one written before conversations were trees.
    /// </summary>
    private static byte[] Serialize(ConversationMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(message with { ParentId = message.ParentId ?? "" }, RedisConversationJsonContext.Default.ConversationMessage);

    /// <summary>
    /// Stored messages, oldest first (or a path, root first). One written before trees has no parent field: it follows the
    /// element before it, so an old conversation reads as the single branch it was, with nothing migrated.
    /// </summary>
    internal static ConversationMessage[] ReadMessages(RedisValue[] items)
    {
        var messages = new ConversationMessage[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var message = Deserialize(items[i]);
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

    private static ConversationMessage Deserialize(RedisValue item) =>
        JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)item).Span, RedisConversationJsonContext.Default.ConversationMessage)!;

    private static bool IsOwnedBy(Dictionary<string, string> meta, string ownerId) =>
        meta.TryGetValue(Fields.Owner, out var owner) && owner == ownerId;

    private static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.ParseExact(value, "O", CultureInfo.InvariantCulture, DateTimeStyles.None);
}

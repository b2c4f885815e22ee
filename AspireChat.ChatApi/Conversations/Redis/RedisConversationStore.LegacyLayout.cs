using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies.Redis;
using StackExchange.Redis;
using static AspireChat.ChatApi.Redis.RedisKeys;
using Fields = AspireChat.ChatApi.Redis.RedisKeys.ConversationFields;

namespace AspireChat.ChatApi.Conversations.Redis;

/// <summary>
/// The layout before hash tags (<see cref="Legacy"/>), moved to today's keys on first touch: a conversation the store
/// does not find under today's keys is looked for under the old ones, and a listing takes in the owner's old index
/// (docs/redis.md, "The layout before hash tags"). The old keys were never tagged, so each is read and deleted by a
/// command of its own, and today's are written by one script on the conversation's slot.
/// </summary>
public sealed partial class RedisConversationStore
{
    // Writes the moved conversation unless today's hash exists: two instances moving it at once write it once. The old
    // list's elements are written into the messages by id (@Items: as StoredItems joins them).
    private static readonly LuaScript MoveScript = LuaScript.Prepare($$"""
        if redis.call('EXISTS', @Conversation) == 1 then return 0 end
        redis.call('HSET', @Conversation, '{{Fields.Owner}}', @Owner, '{{Fields.Title}}', @Title, '{{Fields.CreatedAt}}', @CreatedAt, '{{Fields.UpdatedAt}}', @UpdatedAt)
        if @Leaf ~= '' then redis.call('HSET', @Conversation, '{{Fields.Leaf}}', @Leaf) end
        {{WriteItems}}
        {{Expire}}
        return 1
        """);

    /// <summary>
    /// Moves the conversation from the old layout, if it is there: today's keys first, with the reply its old instance
    /// left unfinished (saved as interrupted, as a finalizer would) in the same script, so another instance never reads
    /// the moved conversation without it; then the owner's index, and the old keys last, so a crash anywhere in between
    /// leaves the old keys to move again (the script writes once). Returns whether there was anything to move.
    /// </summary>
    private async Task<bool> MoveFromLegacyLayoutAsync(string conversationId, CancellationToken cancellationToken)
    {
        var database = Database;
        var reading = database.HashGetAllAsync(Legacy.Conversation(conversationId));
        var listing = database.ListRangeAsync(Legacy.Messages(conversationId));
        var latest = database.StringGetAsync(Legacy.LatestReply(conversationId));
        var meta = (await reading.WaitAsync(cancellationToken)).ToStringDictionary();
        if (!meta.TryGetValue(Fields.Owner, out var ownerId))
        {
            return false;
        }

        var items = await listing.WaitAsync(cancellationToken);
        var ttl = options.Value.TimeToLive;
        var (leaf, updatedAt) = (meta.GetValueOrDefault(Fields.Leaf) ?? "", meta[Fields.UpdatedAt]);
        ConversationMessage[] unfinished = [];
        if ((string?)await latest.WaitAsync(cancellationToken) is { } replyId && await ReadUnfinishedAsync(conversationId, replyId, cancellationToken) is { } turn)
        {
            // The user message is in the list already only when the reply was a regenerate.
            var stored = ReadMessages(items).Any(m => m.Id == turn.User.Id);
            unfinished = stored ? [turn.Reply with { ParentId = turn.User.Id }] : [turn.User, turn.Reply with { ParentId = turn.User.Id }];
            (leaf, updatedAt) = (replyId, Format(timeProvider.GetUtcNow()));
        }

        await database.ScriptEvaluateAsync(MoveScript, new Move(
            Conversation(conversationId),
            MessagesById(conversationId),
            MessageOrder(conversationId),
            ownerId,
            meta[Fields.Title],
            meta[Fields.CreatedAt],
            updatedAt,
            leaf,
            StoredItems(items, unfinished),
            (long)ttl.TotalMilliseconds)).WaitAsync(cancellationToken);
        await UpdateIndexAsync(ownerId, conversationId, Parse(updatedAt), ttl).WaitAsync(cancellationToken);

        await Task.WhenAll(
            database.KeyDeleteAsync(Legacy.Conversation(conversationId)),
            database.KeyDeleteAsync(Legacy.Messages(conversationId)),
            database.KeyDeleteAsync(Legacy.ConversationLease(conversationId)),
            database.KeyDeleteAsync(Legacy.LatestReply(conversationId)),
            database.SortedSetRemoveAsync(Legacy.OwnerConversations(ownerId), conversationId)).WaitAsync(cancellationToken);
        return true;
    }

    /// <summary>Moves every conversation of the owner's old index, then drops it (an id whose old hash expired has nothing to move).</summary>
    private async Task<bool> MoveOwnerFromLegacyLayoutAsync(string ownerId, Task<RedisValue[]> legacyIds, CancellationToken cancellationToken)
    {
        var ids = await legacyIds.WaitAsync(cancellationToken);
        if (ids.Length == 0)
        {
            return false;
        }

        foreach (var id in ids)
        {
            await MoveFromLegacyLayoutAsync(id!, cancellationToken);
        }

        await Database.KeyDeleteAsync(Legacy.OwnerConversations(ownerId)).WaitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// The turn of a reply whose old instance stopped before its end was stored (as today's finalizer builds it: the
    /// text streamed so far, <c>interrupted</c>), or null when it ended, or its stream is gone. Old and new instances do
    /// not run side by side (docs/deploy.md), so a reply without its end in the old layout has no producer left.
    /// </summary>
    private async Task<(ConversationMessage User, ConversationMessage Reply)?> ReadUnfinishedAsync(string conversationId, string replyId, CancellationToken cancellationToken)
    {
        var stream = Legacy.ReplyStream(replyId);
        if (await RedisReplyFormat.LastAsync(Database, stream).WaitAsync(cancellationToken) is not { Frame: not EndFrame })
        {
            return null;
        }

        var frames = (await Database.StreamRangeAsync(stream).WaitAsync(cancellationToken)).Select(RedisReplyFormat.Parse).ToList();
        if (frames is not [{ Frame: StartFrame start, UserMessage: { } user }, ..] || start.ConversationId != conversationId || frames[^1].Frame is EndFrame)
        {
            return null;
        }

        var text = string.Concat(frames.Select(f => f.Frame).OfType<ChunkFrame>().Select(c => c.Content));
        return (user, new ConversationMessage(replyId, MessageRoles.Assistant, text, timeProvider.GetUtcNow(), FinishReasons.Interrupted));
    }

    private sealed record Move(RedisKey Conversation, RedisKey Messages, RedisKey Order, string Owner, string Title, string CreatedAt, string UpdatedAt, string Leaf, byte[] Items, long Ttl);
}

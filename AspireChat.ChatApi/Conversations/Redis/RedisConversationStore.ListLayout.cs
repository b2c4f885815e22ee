using StackExchange.Redis;
using static AspireChat.ChatApi.Redis.RedisKeys;
using Fields = AspireChat.ChatApi.Redis.RedisKeys.ConversationFields;

namespace AspireChat.ChatApi.Conversations.Redis;

/// <summary>
/// The message list of the release before (<see cref="ListLayout"/>: the whole tree in one list, read whole by every
/// turn), converted to the messages by id on first touch: every script of a conversation's messages answers
/// <see cref="ConvertFirst"/> while the list exists, and the caller converts it and asks again (docs/redis.md, "The
/// message list"). The list is read here, and written out by one script on the conversation's slot that converts it
/// only while it is as it was read, so two instances converting at once write it once, and a turn appended meanwhile
/// by an instance of the release before is read again, not lost.
/// </summary>
public sealed partial class RedisConversationStore
{
    // Writes @Items (message JSON, oldest first, joined by newlines: compact JSON holds none) into the messages by id,
    // numbered in the order set after the conversation's seq.
    private const string WriteItems = $$"""
        local seq = tonumber(redis.call('HGET', @Conversation, '{{Fields.Seq}}') or '0')
        for item in string.gmatch(@Items, '[^\n]+') do
          local id = cjson.decode(item).id
          seq = seq + 1
          redis.call('HSET', @Messages, id, item)
          redis.call('ZADD', @Order, seq, id)
        end
        redis.call('HSET', @Conversation, '{{Fields.Seq}}', seq)
        """;

    // Returns 0 when the list is not as it was read (converted by another instance, or grown: read it again), else 1.
    // The new keys live as long as the conversation's hash has left; a list whose hash is gone is only deleted.
    private static readonly LuaScript ConvertScript = LuaScript.Prepare($$"""
        if redis.call('LLEN', @List) ~= tonumber(@Length) then return 0 end
        if redis.call('EXISTS', @Conversation) == 1 then
          {{WriteItems}}
          local ttl = redis.call('PTTL', @Conversation)
          if ttl > 0 then
            redis.call('PEXPIRE', @Messages, ttl)
            redis.call('PEXPIRE', @Order, ttl)
          end
        end
        redis.call('DEL', @List)
        return 1
        """);

    /// <summary>
    /// Converts the conversation's message list, if it still has one. Static: the feedback store converts too, before
    /// it rates a message of a conversation nothing has touched since the upgrade.
    /// </summary>
    internal static async Task ConvertListLayoutAsync(IDatabase database, string conversationId, CancellationToken cancellationToken)
    {
        var list = ListLayout.Messages(conversationId);
        for (var items = await database.ListRangeAsync(list).WaitAsync(cancellationToken); items.Length > 0; items = await database.ListRangeAsync(list).WaitAsync(cancellationToken))
        {
            var converted = await database.ScriptEvaluateAsync(ConvertScript, new Convert(
                Conversation(conversationId), MessagesById(conversationId), MessageOrder(conversationId), list, items.Length, StoredItems(items))).WaitAsync(cancellationToken);
            if ((long)converted == 1)
            {
                return;
            }
        }
    }

    /// <summary>
    /// A list's elements as the messages by id hold them, joined by newlines: byte for byte, but for one written before
    /// trees (no parent field), which is written again with the parent its place in the list gave it, since no order
    /// implies a parent there. Then <paramref name="more"/>, newest last.
    /// </summary>
    private static byte[] StoredItems(RedisValue[] items, params ConversationMessage[] more)
    {
        var messages = ReadMessages(items);
        var joined = new List<byte>();
        foreach (var bytes in items.Select((item, i) => Deserialize(item).ParentId is null ? Serialize(messages[i]) : (byte[])item!).Concat(more.Select(Serialize)))
        {
            if (bytes.Contains((byte)'\n'))
            {
                throw new InvalidDataException("A message of the old layout holds a newline, which compact JSON never does.");
            }

            joined.AddRange(bytes);
            joined.Add((byte)'\n');
        }

        return [.. joined];
    }

    private sealed record Convert(RedisKey Conversation, RedisKey Messages, RedisKey Order, RedisKey List, int Length, byte[] Items);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using AspireChat.ChatApi.Conversations;
using StackExchange.Redis;

namespace AspireChat.Bench.Micro;

/// <summary>
/// A turn's Redis work in the layout before messages by id, as 021e57e's <c>RedisConversationStore</c> sent it, for
/// <see cref="TurnCost"/> to measure beside today's store in the same run: the read of the whole conversation (MULTI:
/// HGETALL, <c>LRANGE 0 -1</c>) with every message decoded and the tree built to find the active branch, then the
/// append script (verbatim, with its scan of every id), then the owner's index. The keys are that release's.
/// </summary>
internal sealed class ListLayoutTurn(IDatabase database)
{
    private static readonly LuaScript AppendTurnScript = LuaScript.Prepare("""
        if redis.call('HGET', @Conversation, 'owner') ~= @Owner then return 0 end
        local ids = {}
        for _, item in ipairs(redis.call('LRANGE', @Messages, 0, -1)) do
          local literal = string.match(item, '^{"id":("[^"]*")')
          if literal then ids[cjson.decode('[' .. literal .. ']')[1]] = true end
        end
        if ids[@ReplyId] then return 2 end
        if ids[@UserId] then
          redis.call('RPUSH', @Messages, @Reply)
        else
          redis.call('RPUSH', @Messages, @User, @Reply)
        end
        redis.call('LTRIM', @Messages, -tonumber(@MaxMessages), -1)
        redis.call('HSET', @Conversation, 'updatedAt', @UpdatedAt, 'leaf', @ReplyId)
        redis.call('PEXPIRE', @Conversation, @Ttl)
        redis.call('PEXPIRE', @Messages, @Ttl)
        return 1
        """);

    public static string Conversation(string id) => $"aspirechat:conversation:{{{id}}}";

    public static string Messages(string id) => $"{Conversation(id)}:messages";

    public static byte[] Serialize(ConversationMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(message with { ParentId = message.ParentId ?? "" }, ListLayoutJsonContext.Default.ConversationMessage);

    /// <summary>The read: the whole list, decoded, and the active branch found in its tree. Returns the active leaf.</summary>
    public async Task<string?> LoadAsync(string conversationId)
    {
        var transaction = database.CreateTransaction();
        var reading = transaction.HashGetAllAsync(Conversation(conversationId));
        var listing = transaction.ListRangeAsync(Messages(conversationId));
        await transaction.ExecuteAsync();
        var meta = (await reading).ToStringDictionary();
        var messages = (await listing)
            .Select(item => JsonSerializer.Deserialize((byte[])item!, ListLayoutJsonContext.Default.ConversationMessage)!)
            .Select(m => m.ParentId == "" ? m with { ParentId = null } : m)
            .ToList();
        var leaf = ConversationTree.ActiveLeaf(messages, meta.GetValueOrDefault("leaf"));
        _ = new ConversationTree(messages).PathTo(leaf);
        return leaf;
    }

    /// <summary>The append script, then the owner's index as that release wrote it.</summary>
    public async Task AppendAsync(string ownerId, string conversationId, ConversationMessage user, ConversationMessage reply, int maxMessages, TimeSpan ttl)
    {
        await database.ScriptEvaluateAsync(AppendTurnScript, new
        {
            Conversation = (RedisKey)Conversation(conversationId),
            Messages = (RedisKey)Messages(conversationId),
            Owner = ownerId,
            UserId = user.Id,
            ReplyId = reply.Id,
            User = Serialize(user),
            Reply = Serialize(reply with { ParentId = user.Id }),
            MaxMessages = maxMessages,
            UpdatedAt = DateTimeOffset.UtcNow.ToString("O"),
            Ttl = (long)ttl.TotalMilliseconds,
        });
        var index = database.CreateTransaction();
        var key = $"aspirechat:owner:{{{ownerId}}}:conversations";
        var now = DateTimeOffset.UtcNow;
        _ = index.SortedSetAddAsync(key, conversationId, now.ToUnixTimeMilliseconds());
        _ = index.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, (now - ttl).ToUnixTimeMilliseconds(), Exclude.Stop);
        _ = index.KeyExpireAsync(key, ttl);
        await index.ExecuteAsync();
    }
}

/// <summary>The message JSON of that release (its <c>RedisConversationJsonContext</c>'s options).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConversationMessage))]
internal sealed partial class ListLayoutJsonContext : JsonSerializerContext;

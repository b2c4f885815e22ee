using StackExchange.Redis;
using Fields = AspireChat.ChatApi.Redis.RedisKeys.ConversationFields;

namespace AspireChat.ChatApi.Conversations.Redis;

/// <summary>
/// The store's Lua scripts, each one atomic step on the conversation's slot, and their parameters by name
/// (docs/redis.md, "Scripts").
/// </summary>
public sealed partial class RedisConversationStore
{
    // What the scripts answer when the conversation is still in the message list of the release before (see
    // RedisConversationStore.ListLayout.cs): the caller converts it and asks again.
    private const long ConvertFirst = 3;

    // Every script of a conversation's messages starts so: not the owner's (or gone) → 0, still a list → ConvertFirst.
    private static readonly string CheckOwnerAndLayout = $$"""
        if redis.call('HGET', @Conversation, '{{Fields.Owner}}') ~= @Owner then return 0 end
        if redis.call('EXISTS', @List) == 1 then return {{ConvertFirst}} end
        """;

    // Refreshes the time to live of every key of the conversation's own.
    private const string Expire = """
        redis.call('PEXPIRE', @Conversation, @Ttl)
        redis.call('PEXPIRE', @Messages, @Ttl)
        redis.call('PEXPIRE', @Order, @Ttl)
        """;

    // Returns 0 when the conversation is not the owner's, 1 when the turn was appended, 2 when its reply was already
    // (a retry whose first answer was lost), ConvertFirst. A user message stored already (a regenerate) is not added
    // again. Past @MaxMessages the oldest are trimmed, in chunks that stay within Lua's unpack limit. StackExchange.Redis
    // sends it by its SHA1 and sends the text again when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH).
    private static readonly LuaScript AppendTurnScript = LuaScript.Prepare($$"""
        {{CheckOwnerAndLayout}}
        if redis.call('HEXISTS', @Messages, @ReplyId) == 1 then return 2 end
        if redis.call('HEXISTS', @Messages, @UserId) == 0 then
          redis.call('HSET', @Messages, @UserId, @User)
          redis.call('ZADD', @Order, redis.call('HINCRBY', @Conversation, '{{Fields.Seq}}', 1), @UserId)
        end
        redis.call('HSET', @Messages, @ReplyId, @Reply)
        redis.call('ZADD', @Order, redis.call('HINCRBY', @Conversation, '{{Fields.Seq}}', 1), @ReplyId)
        local excess = redis.call('ZCARD', @Order) - tonumber(@MaxMessages)
        if excess > 0 then
          local oldest = redis.call('ZRANGE', @Order, 0, excess - 1)
          for i = 1, #oldest, 1000 do redis.call('HDEL', @Messages, unpack(oldest, i, math.min(i + 999, #oldest))) end
          redis.call('ZREMRANGEBYRANK', @Order, 0, excess - 1)
        end
        redis.call('HSET', @Conversation, '{{Fields.UpdatedAt}}', @UpdatedAt, '{{Fields.Leaf}}', @ReplyId)
        {{Expire}}
        return 1
        """);

    // Returns 0 when the conversation is not the owner's or has no such message, 1 when set, ConvertFirst.
    private static readonly LuaScript SetLeafScript = LuaScript.Prepare($$"""
        {{CheckOwnerAndLayout}}
        if redis.call('HEXISTS', @Messages, @Leaf) == 0 then return 0 end
        redis.call('HSET', @Conversation, '{{Fields.Leaf}}', @Leaf)
        {{Expire}}
        return 1
        """);

    // Returns { 0 } when the conversation is not the owner's, { ConvertFirst }, else { 1, title, createdAt, updatedAt,
    // active leaf or '', idToCheck taken (0/1), the path's messages from @To (or the active leaf) up, newest first }.
    // The walk is ConversationPath.Walk's: the first two whatever their length, then while the characters stay within
    // @MaxCharacters. It stops at a root ("" or no parent), at a parent that is gone (trimmed), and at a message seen
    // before. A message is not decoded (cjson would cost more than the rest of the turn): System.Text.Json escapes every
    // quote inside a string, so the first unescaped ,"parentId":" is the parent's field, and the first "content":" the
    // content's (no string holds a quote unescaped); the content's UTF-16 length is counted from its JSON as C# counts
    // it: an escape (\n, \u0022) is one, and a surrogate pair is two \uXXXX. System.Text.Json's default encoder, which
    // writes every stored message, escapes every character outside ASCII, so a byte is a character.
    private static readonly LuaScript PathScript = LuaScript.Prepare($$"""
        -- The raw JSON of the string after a field's name: up to the first quote not escaped by a backslash.
        local function raw_string(item, field)
          local from = string.find(item, field, 1, true)
          if not from then return nil end
          from = from + #field
          local to = from
          while true do
            to = string.find(item, '"', to, true)
            if not to then return nil end
            local back = to - 1
            while string.byte(item, back) == 92 do back = back - 1 end
            if (to - 1 - back) % 2 == 0 then return string.sub(item, from, to - 1) end
            to = to + 1
          end
        end
        -- Plain finds only (memchr), from one escape to the next: a pattern or gsub over the text costs as much as the
        -- rest of the turn.
        local function content_length(item)
          local at = string.find(item, '"content":"', 1, true)
          if not at then return 0 end
          at = at + 11
          local length = 0
          local quote = string.find(item, '"', at, true)
          while quote do
            local escape = string.find(item, '\\', at, true)
            if not escape or escape > quote then return length + quote - at end
            length = length + escape - at + 1
            if string.byte(item, escape + 1) == 117 then at = escape + 6 else at = escape + 2 end
            if quote < at then quote = string.find(item, '"', at, true) end
          end
          return length
        end
        local function parent(item)
          local id = raw_string(item, ',"parentId":"')
          if id and string.find(id, '\\', 1, true) then id = cjson.decode('"' .. id .. '"') end
          return id
        end
        local meta = redis.call('HMGET', @Conversation, '{{Fields.Owner}}', '{{Fields.Title}}', '{{Fields.CreatedAt}}', '{{Fields.UpdatedAt}}', '{{Fields.Leaf}}')
        if meta[1] ~= @Owner then return { 0 } end
        if redis.call('EXISTS', @List) == 1 then return { {{ConvertFirst}} } end
        local leaf = meta[5]
        if not leaf or redis.call('HEXISTS', @Messages, leaf) == 0 then leaf = redis.call('ZRANGE', @Order, -1, -1)[1] or '' end
        local taken = 0
        if @IdToCheck ~= '' then taken = redis.call('HEXISTS', @Messages, @IdToCheck) end
        local result = { 1, meta[2], meta[3], meta[4], leaf, taken }
        local id = @To
        if id == '' then id = leaf end
        local seen, spent, budget = {}, 0, tonumber(@MaxCharacters)
        while id and id ~= '' and not seen[id] do
          local item = redis.call('HGET', @Messages, id)
          if not item then break end
          if #result >= 8 then
            spent = spent + content_length(item)
            if spent > budget then break end
          end
          seen[id] = true
          result[#result + 1] = item
          id = parent(item)
        end
        return result
        """);

    // Returns 0 when the conversation is not the owner's, else 1.
    private static readonly LuaScript RenameScript = LuaScript.Prepare($$"""
        if redis.call('HGET', @Conversation, '{{Fields.Owner}}') ~= @Owner then return 0 end
        redis.call('HSET', @Conversation, '{{Fields.Title}}', @Title)
        return 1
        """);

    /// <summary>The append script's parameters, by name (<see cref="LuaScript"/> maps RedisKey members to KEYS, the rest to ARGV).</summary>
    private sealed record AppendTurn(
        RedisKey Conversation,
        RedisKey Messages,
        RedisKey Order,
        RedisKey List,
        string Owner,
        string UserId,
        string ReplyId,
        byte[] User,
        byte[] Reply,
        int MaxMessages,
        string UpdatedAt,
        long Ttl);

    private sealed record SetLeaf(RedisKey Conversation, RedisKey Messages, RedisKey Order, RedisKey List, string Owner, string Leaf, long Ttl);

    private sealed record ReadPath(RedisKey Conversation, RedisKey Messages, RedisKey Order, RedisKey List, string Owner, string To, int MaxCharacters, string IdToCheck);

    private sealed record Rename(RedisKey Conversation, string Owner, string Title);
}

using AspireChat.ChatApi.Conversations;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static AspireChat.ChatApi.Redis.RedisKeys;

namespace AspireChat.ChatApi.Search;

/// <summary>
/// Each owner's index in four Redis keys, all tagged <c>{ownerId}</c> (docs/redis.md, "Search"): a hash of
/// word → conversation numbers (<c>,3,17,</c>), the vocabulary for prefixes, the conversation numbers and
/// when each was last indexed. Every step is one script over those four keys, so it runs on a cluster as
/// on one server, and every write gives all four the conversations' time to live: the index lives as long
/// as the owner's most recently written conversation. Words reach the scripts as one argument, never as
/// script text, so nothing a user typed is run.
/// </summary>
public sealed class RedisSearchIndex(IConnectionMultiplexer redis, IOptions<SearchOptions> options, IOptions<ConversationOptions> conversationOptions) : ISearchIndex
{
    // Returns 1 when the conversation was indexed before, 0 when it is new to the index (it gets a number).
    private static readonly LuaScript AddScript = LuaScript.Prepare("""
        local n = redis.call('HGET', @Conversations, 'c:' .. @Id)
        local known = 1
        if not n then
          known = 0
          n = tostring(redis.call('HINCRBY', @Conversations, 'next', 1))
          redis.call('HSET', @Conversations, 'c:' .. @Id, n, 'n:' .. n, @Id)
        end
        local entry = ',' .. n .. ','
        for word in string.gmatch(@Words, '[^\n]+') do
          local list = redis.call('HGET', @Postings, word)
          if not list then
            redis.call('HSET', @Postings, word, entry)
            redis.call('ZADD', @Vocabulary, 0, word)
          elseif not string.find(list, entry, 1, true) then
            redis.call('HSET', @Postings, word, list .. n .. ',')
          end
        end
        redis.call('ZADD', @Recent, @At, n)
        redis.call('PEXPIRE', @Postings, @Ttl)
        redis.call('PEXPIRE', @Vocabulary, @Ttl)
        redis.call('PEXPIRE', @Conversations, @Ttl)
        redis.call('PEXPIRE', @Recent, @Ttl)
        return known
        """);

    // Returns { total, id, id, ... }: the conversations whose numbers are in every word's postings (and in
    // the union of the postings of the words the prefix begins, when it begins at most @MaxPrefixWords),
    // most recently indexed first, at most @Limit of them. A number with no conversation any more is skipped.
    private static readonly LuaScript FindScript = LuaScript.Prepare("""
        local sets = {}
        local function parse(list, into)
          for n in string.gmatch(list, '%d+') do into[n] = true end
          return into
        end
        for word in string.gmatch(@Words, '[^\n]+') do
          local list = redis.call('HGET', @Postings, word)
          if not list then return { 0 } end
          sets[#sets + 1] = parse(list, {})
        end
        if @Prefix ~= '' then
          local words = redis.call('ZRANGEBYLEX', @Vocabulary, '[' .. @Prefix, '[' .. @Prefix .. '\255', 'LIMIT', 0, tonumber(@MaxPrefixWords) + 1)
          if #words == 0 then return { 0 } end
          if #words <= tonumber(@MaxPrefixWords) then
            local union = {}
            for _, list in ipairs(redis.call('HMGET', @Postings, unpack(words))) do
              if list then parse(list, union) end
            end
            sets[#sets + 1] = union
          end
        end
        local scored = {}
        if #sets == 0 then
          local recent = redis.call('ZRANGE', @Recent, '+inf', '-inf', 'BYSCORE', 'REV', 'WITHSCORES')
          for i = 1, #recent, 2 do scored[#scored + 1] = { recent[i], tonumber(recent[i + 1]) } end
        else
          for n in pairs(sets[1]) do
            local everywhere = true
            for i = 2, #sets do
              if not sets[i][n] then everywhere = false; break end
            end
            if everywhere then
              local score = redis.call('ZSCORE', @Recent, n)
              if score then scored[#scored + 1] = { n, tonumber(score) } end
            end
          end
          table.sort(scored, function(a, b) return a[2] > b[2] end)
        end
        local result = { #scored }
        for i = 1, math.min(#scored, tonumber(@Limit)) do
          local id = redis.call('HGET', @Conversations, 'n:' .. scored[i][1])
          if id then result[#result + 1] = id end
        end
        return result
        """);

    // Removes the conversation's number from the postings of @Words, and forgets its number.
    private static readonly LuaScript RemoveScript = LuaScript.Prepare("""
        local n = redis.call('HGET', @Conversations, 'c:' .. @Id)
        if not n then return 0 end
        local entry = ',' .. n .. ','
        for word in string.gmatch(@Words, '[^\n]+') do
          local list = redis.call('HGET', @Postings, word)
          local at = list and string.find(list, entry, 1, true)
          if at then
            local rest = string.sub(list, 1, at) .. string.sub(list, at + #entry)
            if rest == ',' then
              redis.call('HDEL', @Postings, word)
              redis.call('ZREM', @Vocabulary, word)
            else
              redis.call('HSET', @Postings, word, rest)
            end
          end
        end
        redis.call('HDEL', @Conversations, 'c:' .. @Id, 'n:' .. n)
        redis.call('ZREM', @Recent, n)
        return 1
        """);

    private static readonly LuaScript TouchScript = LuaScript.Prepare("""
        redis.call('PEXPIRE', @Postings, @Ttl)
        redis.call('PEXPIRE', @Vocabulary, @Ttl)
        redis.call('PEXPIRE', @Conversations, @Ttl)
        redis.call('PEXPIRE', @Recent, @Ttl)
        return 1
        """);

    private IDatabase Database => redis.GetDatabase();

    private long Ttl => (long)conversationOptions.Value.TimeToLive.TotalMilliseconds;

    public async Task<bool> AddAsync(string ownerId, string conversationId, IReadOnlyCollection<string> words, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(words);
        var (postings, vocabulary, conversations, recent) = Keys(ownerId);
        var known = await Database.ScriptEvaluateAsync(AddScript, new Add(
            postings, vocabulary, conversations, recent, conversationId, string.Join('\n', words), at.ToUnixTimeMilliseconds(), Ttl)).WaitAsync(cancellationToken);
        return (long)known == 1;
    }

    public async Task<SearchCandidates> FindAsync(string ownerId, SearchQuery query, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(query);
        var (postings, vocabulary, conversations, recent) = Keys(ownerId);
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(FindScript, new Find(
            postings, vocabulary, conversations, recent, string.Join('\n', query.Words), query.Prefix ?? "", options.Value.MaxPrefixWords, limit)).WaitAsync(cancellationToken))!;
        return new SearchCandidates([.. result.Skip(1).Select(id => (string)id!)], (int)result[0]);
    }

    public Task RemoveAsync(string ownerId, string conversationId, IReadOnlyCollection<string> words, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(words);
        var (postings, vocabulary, conversations, recent) = Keys(ownerId);
        return Database.ScriptEvaluateAsync(RemoveScript, new Remove(postings, vocabulary, conversations, recent, conversationId, string.Join('\n', words))).WaitAsync(cancellationToken);
    }

    public Task TouchAsync(string ownerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        var (postings, vocabulary, conversations, recent) = Keys(ownerId);
        return Database.ScriptEvaluateAsync(TouchScript, new Touch(postings, vocabulary, conversations, recent, Ttl)).WaitAsync(cancellationToken);
    }

    private static (RedisKey Postings, RedisKey Vocabulary, RedisKey Conversations, RedisKey Recent) Keys(string ownerId) =>
        (SearchPostings(ownerId), SearchVocabulary(ownerId), SearchConversations(ownerId), SearchRecent(ownerId));

    /// <summary>The scripts' parameters, by name (<see cref="LuaScript"/> maps RedisKey members to KEYS, the rest to ARGV).</summary>
    private sealed record Add(RedisKey Postings, RedisKey Vocabulary, RedisKey Conversations, RedisKey Recent, string Id, string Words, long At, long Ttl);

    private sealed record Find(RedisKey Postings, RedisKey Vocabulary, RedisKey Conversations, RedisKey Recent, string Words, string Prefix, int MaxPrefixWords, int Limit);

    private sealed record Remove(RedisKey Postings, RedisKey Vocabulary, RedisKey Conversations, RedisKey Recent, string Id, string Words);

    private sealed record Touch(RedisKey Postings, RedisKey Vocabulary, RedisKey Conversations, RedisKey Recent, long Ttl);
}

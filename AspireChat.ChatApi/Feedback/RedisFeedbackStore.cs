using System.Text.Json;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using StackExchange.Redis;
using static AspireChat.ChatApi.Redis.RedisKeys;

namespace AspireChat.ChatApi.Feedback;

/// <summary>
/// Ratings in the Redis store's message list: one script checks the owner, finds the message by id, checks
/// that it is a reply and rewrites that one element with <c>LSET</c>, atomically, so neither a new turn nor a
/// trim can move it in between. The element is System.Text.Json's: every quote inside a string is escaped, so
/// the unescaped <c>,"feedback":{</c> can only be the rating property, which is written last
/// (<see cref="ConversationMessage.Feedback"/>): the script cuts it off and appends the new one, and the rest of
/// the message is left byte for byte. The keys are the conversation's (docs/redis.md).
/// </summary>
public sealed class RedisFeedbackStore(IConnectionMultiplexer redis) : IFeedbackStore
{
    // Returns { 0 } not the owner's (or gone), { 3 } no such message, { 2 } a user message, { 1, element } saved.
    private static readonly LuaScript SetScript = LuaScript.Prepare($$"""
        if redis.call('HGET', @Conversation, '{{ConversationFields.Owner}}') ~= @Owner then return { 0 } end
        for i, item in ipairs(redis.call('LRANGE', @Messages, 0, -1)) do
          local literal = string.match(item, '^{"id":("[^"]*")')
          if literal and cjson.decode('[' .. literal .. ']')[1] == @MessageId then
            if not string.find(item, '"role":"assistant"', 1, true) then return { 2 } end
            local at = string.find(item, ',"feedback":{', 1, true)
            local base = at and (string.sub(item, 1, at - 1) .. '}') or item
            local updated = base
            if @Feedback ~= '' then updated = string.sub(base, 1, -2) .. ',"feedback":' .. @Feedback .. '}' end
            redis.call('LSET', @Messages, i - 1, updated)
            return { 1, updated }
          end
        end
        return { 3 }
        """);

    public async Task<FeedbackResult> SetAsync(string ownerId, string conversationId, string messageId, MessageFeedback? feedback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        ArgumentNullException.ThrowIfNull(messageId);
        var json = feedback is null ? [] : JsonSerializer.SerializeToUtf8Bytes(feedback, FeedbackJsonContext.Default.MessageFeedback);
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(SetScript, new Set(
            Conversation(conversationId), Messages(conversationId), ownerId, messageId, json)).WaitAsync(cancellationToken))!;
        return (long)result[0] switch
        {
            1 => new FeedbackResult(FeedbackOutcome.Saved, RedisConversationStore.ReadMessages([(RedisValue)result[1]])[0]),
            2 => new FeedbackResult(FeedbackOutcome.NotAssistant),
            _ => new FeedbackResult(FeedbackOutcome.NotFound),
        };
    }

    /// <summary>The script's parameters, by name.</summary>
    private sealed record Set(RedisKey Conversation, RedisKey Messages, string Owner, string MessageId, byte[] Feedback);
}

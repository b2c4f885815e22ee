using System.Text.Json;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using StackExchange.Redis;
using static AspireChat.ChatApi.Redis.RedisKeys;

namespace AspireChat.ChatApi.Feedback;

/// <summary>
/// Ratings in the Redis store's messages by id: one script checks the owner, reads the message (HGET), checks that
/// it is a reply and writes it back (HSET), atomically, so neither a new turn nor a trim can change it in between. The
/// message is System.Text.Json's: every quote inside a string is escaped, so the unescaped <c>,"feedback":{</c> can
/// only be the rating property, which is written last (<see cref="ConversationMessage.Feedback"/>): the script cuts it
/// off and appends the new one, and the rest of the message is left byte for byte. The keys are the conversation's
/// (docs/redis.md); a conversation still in the message list of the release before is converted first.
/// </summary>
public sealed class RedisFeedbackStore(IConnectionMultiplexer redis) : IFeedbackStore
{
    // Returns { 0 } not the owner's (or gone), { 3 } no such message, { 2 } a user message, { 1, message } saved,
    // { 4 } still the list of the release before: convert it, then ask again.
    private static readonly LuaScript SetScript = LuaScript.Prepare($$"""
        if redis.call('HGET', @Conversation, '{{ConversationFields.Owner}}') ~= @Owner then return { 0 } end
        if redis.call('EXISTS', @List) == 1 then return { 4 } end
        local item = redis.call('HGET', @Messages, @MessageId)
        if not item then return { 3 } end
        if not string.find(item, '"role":"assistant"', 1, true) then return { 2 } end
        local at = string.find(item, ',"feedback":{', 1, true)
        local updated = at and (string.sub(item, 1, at - 1) .. '}') or item
        if @Feedback ~= '' then updated = string.sub(updated, 1, -2) .. ',"feedback":' .. @Feedback .. '}' end
        redis.call('HSET', @Messages, @MessageId, updated)
        return { 1, updated }
        """);

    public async Task<FeedbackResult> SetAsync(string ownerId, string conversationId, string messageId, MessageFeedback? feedback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        ArgumentNullException.ThrowIfNull(messageId);
        var json = feedback is null ? [] : JsonSerializer.SerializeToUtf8Bytes(feedback, FeedbackJsonContext.Default.MessageFeedback);
        var database = redis.GetDatabase();
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(SetScript, new Set(
            Conversation(conversationId), MessagesById(conversationId), ListLayout.Messages(conversationId), ownerId, messageId, json)).WaitAsync(cancellationToken))!;
        switch ((long)result[0])
        {
            case 1:
                return new FeedbackResult(FeedbackOutcome.Saved, RedisConversationStore.ReadMessages([(RedisValue)result[1]])[0]);
            case 2:
                return new FeedbackResult(FeedbackOutcome.NotAssistant);
            case 4:
                await RedisConversationStore.ConvertListLayoutAsync(database, conversationId, cancellationToken);
                return await SetAsync(ownerId, conversationId, messageId, feedback, cancellationToken);
            default:
                return new FeedbackResult(FeedbackOutcome.NotFound);
        }
    }

    /// <summary>The script's parameters, by name.</summary>
    private sealed record Set(RedisKey Conversation, RedisKey Messages, RedisKey List, string Owner, string MessageId, byte[] Feedback);
}

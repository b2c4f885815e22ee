using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>What ending a reply found.</summary>
internal enum FinalizeOutcome
{
    /// <summary>The reply is not in Redis (expired, or lost in a restart without persistence).</summary>
    NotInRedis,

    /// <summary>It had ended, its producer is alive, or another instance is ending it.</summary>
    LeftAlone,

    /// <summary>Ended and saved by this call.</summary>
    EndedNow,
}

/// <summary>
/// Ends a reply whose producer died (its producer lease lapsed before its end was stored): one instance, elected with
/// <c>SET NX</c> on the reply's finalizer key, saves the turn with what was streamed, marked <c>interrupted</c>, then
/// stores and publishes the end as the producer would have, and releases the conversation if the dead reply held it.
/// Called when the next message takes the conversation, when a watcher finds the reply silent, and when the
/// conversation is read.
/// </summary>
internal sealed class RedisReplyFinalizer(
    IConnectionMultiplexer multiplexer,
    IConversationStore store,
    RedisConversationChannels channels,
    IOptions<ReplyOptions> options,
    TimeProvider timeProvider,
    ILogger<RedisReplyFinalizer> logger)
{
    private readonly IDatabase _redis = multiplexer.GetDatabase();

    public async Task<FinalizeOutcome> FinalizeIfUnfinishedAsync(string conversationId, string messageId, CancellationToken cancellationToken)
    {
        var stream = RedisKeys.ReplyStream(conversationId, messageId);
        // Cheap checks first: this runs for every new message in a conversation.
        if (await RedisReplyFormat.LastAsync(_redis, stream).WaitAsync(cancellationToken) is not { } last)
        {
            return FinalizeOutcome.NotInRedis;
        }

        if (last.Frame is EndFrame || await _redis.KeyExistsAsync(RedisKeys.ReplyProducer(conversationId, messageId)).WaitAsync(cancellationToken))
        {
            return FinalizeOutcome.LeftAlone;
        }

        var frames = (await _redis.StreamRangeAsync(stream).WaitAsync(cancellationToken)).Select(RedisReplyFormat.Parse).ToList();
        if (frames.Count == 0 || frames[0] is not { Frame: StartFrame start, OwnerId: { } ownerId, UserMessage: { } userMessage } || start.ConversationId != conversationId)
        {
            return FinalizeOutcome.NotInRedis;
        }

        var settings = options.Value;
        if (frames[^1].Frame is EndFrame
            || !await _redis.StringSetAsync(RedisKeys.ReplyFinalizer(conversationId, messageId), "1", settings.Lease * 2, When.NotExists).WaitAsync(cancellationToken))
        {
            return FinalizeOutcome.LeftAlone;
        }

        var seq = frames[^1].Seq;
        ReplyLog.FinalizingInterrupted(logger, messageId, seq);
        List<(ServerFrame Frame, long Seq)> tail = [];
        try
        {
            // Same ids as the producer would have used: if it comes back, its own write is a no-op.
            // The model is known from the start frame; the producer's span was never exported (it died), so no trace to name.
            var text = string.Concat(frames.Select(f => f.Frame).OfType<ChunkFrame>().Select(c => c.Content));
            var assistant = new ConversationMessage(messageId, MessageRoles.Assistant, text, timeProvider.GetUtcNow(), FinishReasons.Interrupted, Model: start.Model);
            await store.AppendTurnAsync(ownerId, start.ConversationId, userMessage, assistant, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            ReplyLog.ReplyWriteFailed(logger, exception, messageId);
            tail.Add((new ErrorFrame(ErrorCodes.HistoryNotSaved, "The reply was interrupted and could not be saved to history.") { ConversationId = start.ConversationId, MessageId = messageId, ReplyTo = start.ReplyTo }, seq));
        }

        tail.Add((new EndFrame(start.ConversationId, messageId, start.ReplyTo, FinishReasons.Interrupted, null), seq));
        var batch = RedisReplyBatch.Of(tail, from: 0);
        await _redis.ScriptEvaluateAsync(RedisReplyScripts.Store, new StoreParameters(
            stream,
            RedisKeys.ConversationLease(start.ConversationId),
            RedisKeys.ReplyProducer(conversationId, messageId),
            RedisKeys.ConversationChannel(start.ConversationId),
            channels.PublishCommand,
            messageId,
            RedisReplyFormat.NoOrigin,
            frames[^1].FrameNumber + 1,
            batch.Frames,
            batch.Seqs,
            settings.MaxStreamLength,
            StreamMs: (long)settings.Retention.TotalMilliseconds,
            Release: messageId)).WaitAsync(cancellationToken);
        return FinalizeOutcome.EndedNow;
    }
}

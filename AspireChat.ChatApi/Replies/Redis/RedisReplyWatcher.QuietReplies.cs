using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>The watcher's safety net: replies that have gone quiet are read again, and their producer's lease checked.</summary>
internal sealed partial class RedisReplyWatcher
{
    /// <summary>
    /// For each reply still open here and quiet for a check period: anything stored that was not delivered (its message
    /// lost)? Is its producer alive? If not, finish it (or say it is lost).
    /// </summary>
    private async Task CheckLeasesAsync(CancellationToken cancellationToken)
    {
        var quietSince = timeProvider.GetUtcNow() - _checkEvery;
        foreach (var (messageId, progress) in _replies.Where(r => !r.Value.Ended && r.Value.LastHeard <= quietSince).ToList())
        {
            try
            {
                // The safety net of pub/sub: what the stream holds that no message brought (the end, say).
                await CatchUpAsync(messageId, 0, cancellationToken);
                if (progress.Ended)
                {
                    continue;
                }

                // Taken for dead only when its lease is missing at two checks in a row: a Redis that restarted may come
                // back without a lease its producer could not renew while it was away, and the producer renews it
                // (every third of a lease) before the next check (every half).
                var alive = await _redis.KeyExistsAsync(RedisKeys.ReplyProducer(request.ConversationId, messageId)).WaitAsync(cancellationToken);
                if (alive)
                {
                    progress.LastHeard = timeProvider.GetUtcNow();
                }

                if (alive || !progress.ProducerMissed)
                {
                    progress.ProducerMissed = !alive;
                    continue;
                }

                // Read again: the producer may have stored its end and let go of its lease just now.
                await CatchUpAsync(messageId, 0, cancellationToken);
                if (progress.Ended)
                {
                    continue;
                }

                if (await finalizer.FinalizeIfUnfinishedAsync(request.ConversationId, messageId, cancellationToken) == FinalizeOutcome.NotInRedis)
                {
                    // Nothing left in Redis (a restart without persistence): end it here so nobody waits forever.
                    Deliver(messageId, long.MaxValue, new EndFrame(request.ConversationId, messageId, null, FinishReasons.Interrupted, null));
                    continue;
                }

                await CatchUpAsync(messageId, 0, cancellationToken);
            }
            catch (Exception exception) when (exception.IsRedisFault())
            {
                // Redis is away: check again later.
            }
        }
    }

    /// <summary>A reply followed: the number of its last frame delivered, whether that was its end, when it was last heard of.</summary>
    private sealed class Progress
    {
        public long FrameNumber { get; set; }
        public bool Ended { get; set; }
        public DateTimeOffset LastHeard { get; set; }
        public bool ProducerMissed { get; set; }
    }
}

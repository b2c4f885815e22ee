namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// One connection's message rate limit: a bucket of <see cref="ChatLimits.MessageBurst"/> tokens that refills
/// at <see cref="ChatLimits.MessagesPerMinute"/>. It is worked out from the clock when a message arrives, not
/// refilled by a timer, so ten thousand idle connections run no timers. Not thread-safe: one connection's
/// receive loop is its only caller.
/// </summary>
/// <remarks>
/// The bucket is kept as the moment it will be full again (the generic cell rate algorithm): each message
/// moves that moment one refill interval later, and a message that would move it more than a whole burst
/// ahead of now finds the bucket empty. Whole ticks, so no rounding drifts over a connection's life.
/// </remarks>
internal sealed class MessageTokenBucket
{
    private readonly TimeProvider _timeProvider;
    private readonly long _createdAt;
    private readonly TimeSpan _refillInterval;
    private readonly TimeSpan _burst;
    private TimeSpan _fullAt;

    public MessageTokenBucket(ChatLimits limits, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _createdAt = timeProvider.GetTimestamp();
        // At least a tick, so that an absurdly high rate is still a rate.
        _refillInterval = TimeSpan.FromTicks(Math.Max(1, TimeSpan.TicksPerMinute / limits.MessagesPerMinute));
        _burst = TimeSpan.FromTicks(_refillInterval.Ticks * limits.MessageBurst);
    }

    /// <summary>Takes a token for one message; when there is none, says how long until there is.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        var now = _timeProvider.GetElapsedTime(_createdAt);
        var fullAfterThis = (_fullAt > now ? _fullAt : now) + _refillInterval;
        retryAfter = fullAfterThis - now - _burst;
        if (retryAfter > TimeSpan.Zero)
        {
            return false;
        }

        _fullAt = fullAfterThis;
        retryAfter = TimeSpan.Zero;
        return true;
    }
}

using AspireChat.ChatApi.Chat;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// One connection's message rate limit: a bucket of <see cref="ChatLimits.MessageBurst"/> tokens that refills
/// at <see cref="ChatLimits.MessagesPerMinute"/>. It is refilled from the clock when a message arrives rather
/// than by a timer, so ten thousand idle connections run no timers. Not thread-safe: one connection's receive
/// loop is its only caller.
/// </summary>
internal sealed class MessageTokenBucket
{
    private readonly TimeProvider _timeProvider;
    private readonly int _capacity;
    private readonly TimeSpan _refillInterval;
    private double _tokens;
    private long _refilledAt;

    public MessageTokenBucket(ChatLimits limits, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _capacity = limits.MessageBurst;
        // At least a tick, so an absurdly high rate still divides.
        _refillInterval = TimeSpan.FromTicks(Math.Max(1, TimeSpan.FromMinutes(1).Ticks / limits.MessagesPerMinute));
        _tokens = _capacity;
        _refilledAt = timeProvider.GetTimestamp();
    }

    /// <summary>Takes a token for one message; when there is none, says how long until there is.</summary>
    public bool TryTake(out TimeSpan retryAfter)
    {
        var now = _timeProvider.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + (_timeProvider.GetElapsedTime(_refilledAt, now) / _refillInterval));
        _refilledAt = now;
        if (_tokens >= 1)
        {
            _tokens--;
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = (1 - _tokens) * _refillInterval;
        return false;
    }
}

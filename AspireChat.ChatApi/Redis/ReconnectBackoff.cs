namespace AspireChat.ChatApi.Redis;

/// <summary>Exponential backoff between connection attempts, with jitter so many clients do not retry in step.</summary>
internal sealed class ReconnectBackoff(TimeSpan min, TimeSpan max)
{
    private readonly TimeSpan _min = min;
    private TimeSpan _next = min;

    public TimeSpan Next()
    {
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(max.Ticks, _next.Ticks * 2));
        // Up to a fifth less, never more than max.
        return delay - TimeSpan.FromTicks((long)(delay.Ticks * 0.2 * Random.Shared.NextDouble()));
    }

    public void Reset() => _next = _min;
}

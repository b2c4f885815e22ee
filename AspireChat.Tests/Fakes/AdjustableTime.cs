namespace AspireChat.Tests.Fakes;

/// <summary>A clock the test moves: for time to live and rate windows without waiting.</summary>
public sealed class AdjustableTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public AdjustableTime() : this(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

using System.ComponentModel.DataAnnotations;

namespace AspireChat.ChatApi.Shares;

/// <summary>How long shares live and how many an owner may make. Section <c>Shares</c>.</summary>
public sealed class ShareOptions
{
    public const string SectionName = "Shares";

    /// <summary>A share answers 404 this long after it was made (Redis key expiry).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Shares one owner may make in any hour; the next gets 429 with Retry-After.</summary>
    [Range(1, 10_000)]
    public int PerHour { get; set; } = 20;

    /// <summary>The window <see cref="PerHour"/> counts in.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);
}

using System.ComponentModel.DataAnnotations;

namespace AspireChat.ChatApi.Conversations;

/// <summary>How much history is kept, and for how long. Section <c>Conversations</c>.</summary>
public sealed class ConversationOptions
{
    public const string SectionName = "Conversations";

    /// <summary>Messages kept per conversation; the oldest are trimmed past it.</summary>
    [Range(2, 100_000)]
    public int MaxMessages { get; set; } = 200;

    /// <summary>A conversation nobody touches for this long is deleted (Redis key expiry).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00")]
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Characters of the first message used as a new conversation's title.</summary>
    [Range(8, 500)]
    public int TitleLength { get; set; } = 60;

    /// <summary>Characters a title given by a rename keeps; the rest is cut.</summary>
    [Range(8, 1000)]
    public int MaxTitleLength { get; set; } = 200;
}

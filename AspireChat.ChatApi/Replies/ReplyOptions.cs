using System.ComponentModel.DataAnnotations;

namespace AspireChat.ChatApi.Replies;

/// <summary>How replies are kept for resume and carried between instances. Section <c>Replies</c>.</summary>
public sealed class ReplyOptions
{
    public const string SectionName = "Replies";

    /// <summary>
    /// The conversation lease, and a reply's producer lease, live this long unless renewed (every third of it). When
    /// they lapse the producer counts as dead: the conversation takes messages again, and the reply is ended as
    /// <c>interrupted</c>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.300", "00:10:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>How long a finished reply can still be resumed (its stream's time to live after the end).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Frames kept per reply stream (XADD MAXLEN ~); a longer reply loses its oldest frames for resume.</summary>
    [Range(100, 10_000_000)]
    public int MaxStreamLength { get; set; } = 20_000;

    /// <summary>How long a producer keeps retrying to write its frames while Redis is unreachable.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WriteRetryTime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How the conversations' channels are carried: <see cref="ReplyPubSub.Auto"/> (sharded on Redis 7 and later),
    /// <see cref="ReplyPubSub.Sharded"/> or <see cref="ReplyPubSub.Classic"/>. Every instance on one Redis must carry
    /// them alike: a sharded message never reaches a classic subscriber.
    /// </summary>
    public ReplyPubSub PubSub { get; set; } = ReplyPubSub.Auto;
}

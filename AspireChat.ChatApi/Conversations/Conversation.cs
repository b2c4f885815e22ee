using System.Text.Json.Serialization;

namespace AspireChat.ChatApi.Conversations;

/// <summary>A conversation as listed: no messages.</summary>
public sealed record ConversationSummary(string Id, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int MessageCount);

/// <summary>
/// A conversation with every message of its tree, oldest first (docs/design.md, "Conversations are
/// trees"). <see cref="ActiveLeafId"/> ends the branch the user sees, and the prompt is built from:
/// the path from its root down to it. Null only for a conversation without messages.
/// </summary>
public sealed record Conversation(string Id, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<ConversationMessage> Messages, string? ActiveLeafId = null);

/// <summary>
/// One stored message. <see cref="FinishReason"/> and <see cref="Usage"/> are set on assistant
/// messages. <see cref="ParentId"/> is the message it follows (a reply's user message, a user
/// message's previous reply); null for a root.
/// </summary>
/// <remarks>
/// An assistant message also names the telemetry of the reply that wrote it, so a rating can be tied to
/// it later (docs/design.md, "Feedback"): <see cref="TraceId"/> and <see cref="SpanId"/> of the reply's
/// span, <see cref="ModelSpanId"/> of its model call's <c>chat {model}</c> span, and the
/// <see cref="Model"/> asked. Messages written before these fields existed have none.
/// <see cref="Feedback"/> is the owner's rating; it is written last in the stored JSON, where the
/// feedback script finds and replaces it (Feedback/RedisFeedbackStore.cs).
/// </remarks>
public sealed record ConversationMessage(
    string Id,
    string Role,
    string Content,
    DateTimeOffset CreatedAt,
    string? FinishReason = null,
    TokenUsage? Usage = null,
    string? ParentId = null,
    string? TraceId = null,
    string? SpanId = null,
    string? ModelSpanId = null,
    string? Model = null,
    [property: JsonPropertyOrder(1)] MessageFeedback? Feedback = null);

/// <summary>The owner's rating of a reply: <see cref="FeedbackRatings"/>, and an optional comment.</summary>
public sealed record MessageFeedback(string Rating, string? Comment, DateTimeOffset UpdatedAt);

/// <summary>The two ratings a reply can have.</summary>
public static class FeedbackRatings
{
    public const string Up = "up";
    public const string Down = "down";
}

/// <summary>Token counts of one reply, as the model reported them.</summary>
public sealed record TokenUsage(long InputTokens, long OutputTokens, long TotalTokens);

/// <summary>The two roles a stored message can have.</summary>
public static class MessageRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
}

using System.Text.Json.Serialization;
using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Protocol;

/// <summary>A frame the server sends; <c>type</c> names it (docs/protocol.md).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(StartFrame), "start")]
[JsonDerivedType(typeof(ChunkFrame), "chunk")]
[JsonDerivedType(typeof(EndFrame), "end")]
[JsonDerivedType(typeof(ErrorFrame), "error")]
[JsonDerivedType(typeof(UserFrame), "user")]
[JsonDerivedType(typeof(BranchFrame), "branch")]
[JsonDerivedType(typeof(FeedbackFrame), "feedback")]
public abstract record ServerFrame;

/// <summary>A reply begins. <c>content</c> is always empty: the PocketFlow example's clients expect it.</summary>
public sealed record StartFrame(string ConversationId, string MessageId, string? ReplyTo, string Model) : ServerFrame
{
    public string Content => "";

    /// <summary>The user message the reply answers: where it hangs in the conversation's tree.</summary>
    public string? ParentId { get; init; }
}

/// <summary>The next piece of a reply; <see cref="Seq"/> counts from 1 without gaps.</summary>
public sealed record ChunkFrame(string ConversationId, string MessageId, long Seq, string Content) : ServerFrame;

/// <summary>The reply is complete; <see cref="FinishReason"/> is one of <see cref="FinishReasons"/>.</summary>
public sealed record EndFrame(string ConversationId, string MessageId, string? ReplyTo, string FinishReason, TokenUsage? Usage) : ServerFrame
{
    public string Content => "";
}

/// <summary>Something went wrong; <see cref="Code"/> is one of <see cref="ErrorCodes"/>.</summary>
public sealed record ErrorFrame(string Code, string Message) : ServerFrame
{
    public string? ConversationId { get; init; }

    public string? MessageId { get; init; }

    public string? ReplyTo { get; init; }

    public long? RetryAfterMs { get; init; }
}

/// <summary>
/// A user message was sent in a conversation this connection watches, from another connection (a
/// second tab); <see cref="MessageId"/> is the reply it starts.
/// </summary>
public sealed record UserFrame(string ConversationId, string Id, string MessageId, string Content) : ServerFrame
{
    /// <summary>The message the user message follows (null: it is a root). A regenerate repeats a stored user message.</summary>
    public string? ParentId { get; init; }
}

/// <summary>The conversation's active leaf moved (a <c>switch</c>): show the branch that ends at <see cref="LeafId"/>.</summary>
public sealed record BranchFrame(string ConversationId, string LeafId) : ServerFrame;

/// <summary>A reply's rating was given, changed or removed (<see cref="Feedback"/> null): show it in every tab.</summary>
public sealed record FeedbackFrame(string ConversationId, string MessageId, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] MessageFeedback? Feedback) : ServerFrame;

/// <summary>Why a reply ended.</summary>
public static class FinishReasons
{
    public const string Stop = "stop";
    public const string Length = "length";
    public const string Cancelled = "cancelled";
    public const string Error = "error";

    /// <summary>The instance producing the reply stopped renewing its lease (it died); what was streamed is kept.</summary>
    public const string Interrupted = "interrupted";
}

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
public sealed record ConversationMessage(
    string Id,
    string Role,
    string Content,
    DateTimeOffset CreatedAt,
    string? FinishReason = null,
    TokenUsage? Usage = null,
    string? ParentId = null);

/// <summary>Token counts of one reply, as the model reported them.</summary>
public sealed record TokenUsage(long InputTokens, long OutputTokens, long TotalTokens);

/// <summary>The two roles a stored message can have.</summary>
public static class MessageRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
}

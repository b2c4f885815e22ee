namespace AspireChat.ChatApi.Conversations;

/// <summary>A conversation as listed: no messages.</summary>
public sealed record ConversationSummary(string Id, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int MessageCount);

/// <summary>A conversation with its messages, oldest first.</summary>
public sealed record Conversation(string Id, string Title, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<ConversationMessage> Messages);

/// <summary>One stored message. <see cref="FinishReason"/> and <see cref="Usage"/> are set on assistant messages.</summary>
public sealed record ConversationMessage(
    string Id,
    string Role,
    string Content,
    DateTimeOffset CreatedAt,
    string? FinishReason = null,
    TokenUsage? Usage = null);

/// <summary>Token counts of one reply, as the model reported them.</summary>
public sealed record TokenUsage(long InputTokens, long OutputTokens, long TotalTokens);

/// <summary>The two roles a stored message can have.</summary>
public static class MessageRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
}

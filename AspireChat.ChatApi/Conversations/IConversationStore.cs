namespace AspireChat.ChatApi.Conversations;

/// <summary>
/// Where conversations live. Every call is scoped to an owner: a conversation of another owner
/// is indistinguishable from one that does not exist.
/// </summary>
public interface IConversationStore
{
    /// <summary>Creates an empty conversation for <paramref name="ownerId"/> under <paramref name="conversationId"/>, an id just made (<see cref="ConversationIds.New"/>).</summary>
    Task<ConversationSummary> CreateAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken);

    /// <summary>The owner's conversations, most recently updated first.</summary>
    Task<IReadOnlyList<ConversationSummary>> ListAsync(string ownerId, CancellationToken cancellationToken);

    /// <summary>True when the conversation exists and is the owner's; cheaper than reading it.</summary>
    Task<bool> ExistsAsync(string ownerId, string conversationId, CancellationToken cancellationToken);

    /// <summary>The conversation with its messages, or null when it is not the owner's.</summary>
    Task<Conversation?> GetAsync(string ownerId, string conversationId, CancellationToken cancellationToken);

    /// <summary>
    /// What a turn reads: the conversation's metadata and the branch ending at <paramref name="toMessageId"/> (null: the
    /// active leaf), walked up its parents only as far as <paramref name="maxCharacters"/> of history reach
    /// (<see cref="ConversationPath.Walk"/>), so a turn's read does not grow with the conversation; and whether
    /// <paramref name="idToCheck"/> (null: none) is the id of a message of the conversation. Null when the
    /// conversation is not the owner's.
    /// </summary>
    Task<ConversationPath?> GetPathAsync(string ownerId, string conversationId, string? toMessageId, int maxCharacters, string? idToCheck, CancellationToken cancellationToken);

    /// <summary>
    /// Appends a user message and the assistant's reply as one atomic step, trimming the oldest
    /// messages past the configured cap, and makes the reply the active leaf. The user message hangs
    /// under its <see cref="ConversationMessage.ParentId"/> (null: a root); when it is stored already
    /// (a regenerate) only the reply is added, as its newest child. A reply stored already (a retried
    /// write) changes nothing. Returns false when the conversation is not the owner's.
    /// </summary>
    Task<bool> AppendTurnAsync(string ownerId, string conversationId, ConversationMessage userMessage, ConversationMessage assistantMessage, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="leafId"/> the active leaf. Returns false when the conversation is not the owner's or has no such message.</summary>
    Task<bool> SetActiveLeafAsync(string ownerId, string conversationId, string leafId, CancellationToken cancellationToken);

    /// <summary>Renames the conversation (the title is checked by the caller). Returns false when it is not the owner's.</summary>
    Task<bool> RenameAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken);

    /// <summary>Deletes the conversation. Returns false when it is not the owner's.</summary>
    Task<bool> DeleteAsync(string ownerId, string conversationId, CancellationToken cancellationToken);
}

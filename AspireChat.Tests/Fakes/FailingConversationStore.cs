using AspireChat.ChatApi.Conversations;

namespace AspireChat.Tests.Fakes;

/// <summary>An in-memory store that fails its reads or writes on demand, like a store that went away.</summary>
public sealed class FailingConversationStore(IConversationStore inner) : IConversationStore
{
    public bool FailReads { get; set; }

    /// <summary>How many of the next turn writes fail.</summary>
    public int FailingWrites { get; set; }

    public int WriteAttempts { get; private set; }

    public Task<ConversationSummary> CreateAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken) =>
        FailReads ? throw new IOException("store down") : inner.CreateAsync(ownerId, conversationId, title, cancellationToken);

    public Task<bool> ExistsAsync(string ownerId, string conversationId, CancellationToken cancellationToken) =>
        FailReads ? throw new IOException("store down") : inner.ExistsAsync(ownerId, conversationId, cancellationToken);

    public Task<IReadOnlyList<ConversationSummary>> ListAsync(string ownerId, CancellationToken cancellationToken) =>
        FailReads ? throw new IOException("store down") : inner.ListAsync(ownerId, cancellationToken);

    public Task<Conversation?> GetAsync(string ownerId, string conversationId, CancellationToken cancellationToken) =>
        FailReads ? throw new IOException("store down") : inner.GetAsync(ownerId, conversationId, cancellationToken);

    public Task<ConversationPath?> GetPathAsync(string ownerId, string conversationId, string? toMessageId, int maxCharacters, string? idToCheck, CancellationToken cancellationToken) =>
        FailReads ? throw new IOException("store down") : inner.GetPathAsync(ownerId, conversationId, toMessageId, maxCharacters, idToCheck, cancellationToken);

    public Task<bool> AppendTurnAsync(string ownerId, string conversationId, ConversationMessage userMessage, ConversationMessage assistantMessage, CancellationToken cancellationToken)
    {
        WriteAttempts++;
        if (FailingWrites > 0)
        {
            FailingWrites--;
            throw new IOException("store down");
        }

        return inner.AppendTurnAsync(ownerId, conversationId, userMessage, assistantMessage, cancellationToken);
    }

    public Task<bool> SetActiveLeafAsync(string ownerId, string conversationId, string leafId, CancellationToken cancellationToken) =>
        FailReads ? throw new IOException("store down") : inner.SetActiveLeafAsync(ownerId, conversationId, leafId, cancellationToken);

    public Task<bool> RenameAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken) =>
        FailReads ? throw new IOException("store down") : inner.RenameAsync(ownerId, conversationId, title, cancellationToken);

    public Task<bool> DeleteAsync(string ownerId, string conversationId, CancellationToken cancellationToken) =>
        inner.DeleteAsync(ownerId, conversationId, cancellationToken);
}

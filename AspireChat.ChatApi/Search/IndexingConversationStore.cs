using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Search;

/// <summary>
/// The conversation store with search kept current: every write of text indexes its words first, then
/// writes (so a crash between the two leaves words in the index that the store lacks, which a search
/// skips, and never text the index lacks); a delete deletes first, then takes the words out. Every
/// writer of conversations (the chat node, the finalizer of a dead reply, renames, copies of shares) goes
/// through here, so none can forget the index. Text that leaves the store otherwise (trimmed by
/// <c>Conversations:MaxMessages</c>, expired) is not found again because a search matches what the store
/// holds, not what the index says (<see cref="ConversationSearch"/>).
/// </summary>
public sealed class IndexingConversationStore(IConversationStore inner, ISearchIndex index, TimeProvider timeProvider, ILogger<IndexingConversationStore> logger) : IConversationStore
{
    /// <summary>The store underneath.</summary>
    public IConversationStore Inner => inner;

    public async Task<ConversationSummary> CreateAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken)
    {
        var created = await inner.CreateAsync(ownerId, conversationId, title, cancellationToken);
        try
        {
            // After: only a created conversation is indexed. Should this fail, the first turn finds the conversation unknown to the index and adds its title.
            await index.AddAsync(ownerId, created.Id, SearchText.DistinctWords(title), created.CreatedAt, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            SearchLog.IndexWriteFailed(logger, exception);
        }

        return created;
    }

    public Task<IReadOnlyList<ConversationSummary>> ListAsync(string ownerId, CancellationToken cancellationToken) =>
        inner.ListAsync(ownerId, cancellationToken);

    public Task<bool> ExistsAsync(string ownerId, string conversationId, CancellationToken cancellationToken) =>
        inner.ExistsAsync(ownerId, conversationId, cancellationToken);

    public Task<Conversation?> GetAsync(string ownerId, string conversationId, CancellationToken cancellationToken) =>
        inner.GetAsync(ownerId, conversationId, cancellationToken);

    public Task<ConversationPath?> GetPathAsync(string ownerId, string conversationId, string? toMessageId, int maxCharacters, string? idToCheck, CancellationToken cancellationToken) =>
        inner.GetPathAsync(ownerId, conversationId, toMessageId, maxCharacters, idToCheck, cancellationToken);

    public async Task<bool> AppendTurnAsync(string ownerId, string conversationId, ConversationMessage userMessage, ConversationMessage assistantMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userMessage);
        ArgumentNullException.ThrowIfNull(assistantMessage);
        var at = timeProvider.GetUtcNow();
        if (!await index.AddAsync(ownerId, conversationId, SearchText.DistinctWords(userMessage.Content, assistantMessage.Content), at, cancellationToken)
            && await inner.GetAsync(ownerId, conversationId, cancellationToken) is { } earlier)
        {
            // Written before the index knew it (before search existed, or its creation's indexing failed): all of it now.
            await index.AddAsync(ownerId, conversationId, WordsOf(earlier), at, cancellationToken);
        }

        return await inner.AppendTurnAsync(ownerId, conversationId, userMessage, assistantMessage, cancellationToken);
    }

    public async Task<bool> SetActiveLeafAsync(string ownerId, string conversationId, string leafId, CancellationToken cancellationToken)
    {
        if (!await inner.SetActiveLeafAsync(ownerId, conversationId, leafId, cancellationToken))
        {
            return false;
        }

        // The switch kept the conversation alive; the index must live as long.
        await index.TouchAsync(ownerId, cancellationToken);
        return true;
    }

    public async Task<bool> RenameAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken)
    {
        await index.AddAsync(ownerId, conversationId, SearchText.DistinctWords(title), timeProvider.GetUtcNow(), cancellationToken);
        return await inner.RenameAsync(ownerId, conversationId, title, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        // Read first: its words are what to take out of the index once it is gone.
        var conversation = await inner.GetAsync(ownerId, conversationId, cancellationToken);
        if (!await inner.DeleteAsync(ownerId, conversationId, cancellationToken))
        {
            return false;
        }

        try
        {
            await index.RemoveAsync(ownerId, conversationId, conversation is null ? [] : WordsOf(conversation), cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Deleted all the same: a search skips what the store no longer has, and forgets it then.
            SearchLog.IndexWriteFailed(logger, exception);
        }

        return true;
    }

    /// <summary>Every word of a conversation: its title and the text of every message of every branch.</summary>
    internal static HashSet<string> WordsOf(Conversation conversation) =>
        SearchText.DistinctWords(conversation.Messages.Select(m => m.Content).Prepend(conversation.Title));
}

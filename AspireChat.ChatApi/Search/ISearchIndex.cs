namespace AspireChat.ChatApi.Search;

/// <summary>
/// Each owner's inverted index: for every word, the conversations that hold it (docs/design.md, "Search").
/// It narrows a search down to candidate conversations, which are then read from the store and matched
/// message by message, so it may hold more than the store does (text since trimmed, expired or deleted)
/// but never less: a word is indexed before the text that holds it is written.
/// </summary>
public interface ISearchIndex
{
    /// <summary>
    /// Adds <paramref name="words"/> (folded, <see cref="SearchText"/>) to the owner's conversation, written at
    /// <paramref name="at"/>. Returns false when the index did not know the conversation before: whatever text
    /// it already had is not indexed, and the caller adds it.
    /// </summary>
    Task<bool> AddAsync(string ownerId, string conversationId, IReadOnlyCollection<string> words, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>
    /// The owner's conversations that may match <paramref name="query"/>: they hold every word, and a word
    /// that begins with its prefix. The most recently written first, at most <paramref name="limit"/>.
    /// </summary>
    Task<SearchCandidates> FindAsync(string ownerId, SearchQuery query, int limit, CancellationToken cancellationToken);

    /// <summary>Forgets the conversation, and removes it from the postings of <paramref name="words"/> (the rest are skipped when found).</summary>
    Task RemoveAsync(string ownerId, string conversationId, IReadOnlyCollection<string> words, CancellationToken cancellationToken);

    /// <summary>A write that adds no words (a branch switch) keeps the owner's index alive as long as the conversation.</summary>
    Task TouchAsync(string ownerId, CancellationToken cancellationToken);
}

/// <summary>Candidate conversations, most recent first, and how many there were before the limit.</summary>
public sealed record SearchCandidates(IReadOnlyList<string> ConversationIds, int Total)
{
    public static SearchCandidates None { get; } = new([], 0);
}

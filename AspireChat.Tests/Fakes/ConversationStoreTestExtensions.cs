using AspireChat.ChatApi.Conversations;

namespace AspireChat.Tests;

public static class ConversationStoreTestExtensions
{
    /// <summary>Creates a conversation under a new id, as a chat turn does for a message without one.</summary>
    public static Task<ConversationSummary> CreateAsync(this IConversationStore store, string ownerId, string title, CancellationToken cancellationToken) =>
        store.CreateAsync(ownerId, ConversationIds.New(), title, cancellationToken);
}

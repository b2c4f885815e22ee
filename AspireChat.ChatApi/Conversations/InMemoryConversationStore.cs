using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Conversations;

/// <summary>
/// The embedded default store: conversations in process memory, gone on restart. One lock per
/// conversation keeps a turn's two messages together.
/// </summary>
public sealed class InMemoryConversationStore(IOptions<ConversationOptions> options, TimeProvider timeProvider) : IConversationStore
{
    private readonly Dictionary<string, Entry> _conversations = [];
    private readonly Lock _lock = new();

    public Task<ConversationSummary> CreateAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var entry = new Entry(conversationId, ownerId, title, now) { UpdatedAt = now };
        lock (_lock)
        {
            _conversations.Add(entry.Id, entry);
        }

        return Task.FromResult(entry.ToSummary());
    }

    public Task<IReadOnlyList<ConversationSummary>> ListAsync(string ownerId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<ConversationSummary> owned = [.. _conversations.Values
                .Where(c => c.OwnerId == ownerId)
                .OrderByDescending(c => c.UpdatedAt)
                .Select(c => c.ToSummary())];
            return Task.FromResult(owned);
        }
    }

    public Task<bool> ExistsAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(Find(ownerId, conversationId) is not null);
        }
    }

    public Task<Conversation?> GetAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(Find(ownerId, conversationId) is { } entry
                ? new Conversation(entry.Id, entry.Title, entry.CreatedAt, entry.UpdatedAt, [.. entry.Messages], ConversationTree.ActiveLeaf(entry.Messages, entry.Leaf))
                : null);
        }
    }

    public Task<ConversationPath?> GetPathAsync(string ownerId, string conversationId, string? toMessageId, int maxCharacters, string? idToCheck, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Find(ownerId, conversationId) is not { } entry)
            {
                return Task.FromResult<ConversationPath?>(null);
            }

            var tree = new ConversationTree(entry.Messages);
            var leaf = ConversationTree.ActiveLeaf(entry.Messages, entry.Leaf);
            return Task.FromResult<ConversationPath?>(new ConversationPath(entry.Id, entry.Title, entry.CreatedAt, entry.UpdatedAt, leaf,
                ConversationPath.Walk(tree.Find, toMessageId ?? leaf, maxCharacters), idToCheck is not null && tree.Find(idToCheck) is not null));
        }
    }

    public Task<bool> AppendTurnAsync(string ownerId, string conversationId, ConversationMessage userMessage, ConversationMessage assistantMessage, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Find(ownerId, conversationId) is not { } entry)
            {
                return Task.FromResult(false);
            }

            if (entry.Messages.Any(m => m.Id == assistantMessage.Id))
            {
                return Task.FromResult(true);
            }

            if (!entry.Messages.Any(m => m.Id == userMessage.Id))
            {
                entry.Messages.Add(userMessage);
            }

            entry.Messages.Add(assistantMessage with { ParentId = userMessage.Id });
            entry.Leaf = assistantMessage.Id;
            var excess = entry.Messages.Count - options.Value.MaxMessages;
            if (excess > 0)
            {
                entry.Messages.RemoveRange(0, excess);
            }

            entry.UpdatedAt = timeProvider.GetUtcNow();
            return Task.FromResult(true);
        }
    }

    public Task<bool> SetActiveLeafAsync(string ownerId, string conversationId, string leafId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Find(ownerId, conversationId) is not { } entry || !entry.Messages.Any(m => m.Id == leafId))
            {
                return Task.FromResult(false);
            }

            entry.Leaf = leafId;
            return Task.FromResult(true);
        }
    }

    public Task<bool> RenameAsync(string ownerId, string conversationId, string title, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Find(ownerId, conversationId) is not { } entry)
            {
                return Task.FromResult(false);
            }

            entry.Title = title;
            return Task.FromResult(true);
        }
    }

    public Task<bool> DeleteAsync(string ownerId, string conversationId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(Find(ownerId, conversationId) is not null && _conversations.Remove(conversationId));
        }
    }

    /// <summary>
    /// Replaces one message of the owner's conversation under the store's lock (a rating, Feedback/InMemoryFeedbackStore.cs):
    /// <paramref name="replace"/> gives the new message, or null to leave it as it is. Returns the message as it is
    /// now, or null when the conversation is not the owner's or has no such message.
    /// </summary>
    internal ConversationMessage? UpdateMessage(string ownerId, string conversationId, string messageId, Func<ConversationMessage, ConversationMessage?> replace)
    {
        lock (_lock)
        {
            var index = Find(ownerId, conversationId)?.Messages.FindIndex(m => m.Id == messageId) ?? -1;
            if (index < 0)
            {
                return null;
            }

            var messages = _conversations[conversationId].Messages;
            messages[index] = replace(messages[index]) ?? messages[index];
            return messages[index];
        }
    }

    private Entry? Find(string ownerId, string conversationId) =>
        _conversations.TryGetValue(conversationId, out var entry) && entry.OwnerId == ownerId ? entry : null;

    private sealed record Entry(string Id, string OwnerId, string InitialTitle, DateTimeOffset CreatedAt)
    {
        public List<ConversationMessage> Messages { get; } = [];

        public string Title { get; set; } = InitialTitle;

        public string? Leaf { get; set; }

        public DateTimeOffset UpdatedAt { get; set; }

        public ConversationSummary ToSummary() => new(Id, Title, CreatedAt, UpdatedAt, Messages.Count);
    }
}

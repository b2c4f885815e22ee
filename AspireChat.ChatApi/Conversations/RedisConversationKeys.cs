namespace AspireChat.ChatApi.Conversations;

/// <summary>The Redis key layout of conversations (docs/redis.md describes it).</summary>
internal static class RedisConversationKeys
{
    private const string Prefix = "aspirechat:";

    /// <summary>Hash: owner, title, createdAt, updatedAt, leaf.</summary>
    public static string Conversation(string conversationId) => $"{Prefix}conversation:{conversationId}";

    /// <summary>List: one message JSON per element, oldest first, each naming its parent: the whole tree.</summary>
    public static string Messages(string conversationId) => $"{Prefix}conversation:{conversationId}:messages";

    /// <summary>Sorted set: the owner's conversation ids, scored by last update (Unix milliseconds).</summary>
    public static string OwnerIndex(string ownerId) => $"{Prefix}owner:{ownerId}:conversations";

    public const string OwnerField = "owner";
    public const string TitleField = "title";
    public const string CreatedAtField = "createdAt";
    public const string UpdatedAtField = "updatedAt";

    /// <summary>The active leaf's message id; absent in a conversation written before trees (its newest message is).</summary>
    public const string LeafField = "leaf";
}

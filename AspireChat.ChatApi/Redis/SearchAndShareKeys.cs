namespace AspireChat.ChatApi.Redis;

/// <summary>
/// The Redis keys of search and shares (docs/redis.md). Owner-scoped keys carry a hash tag on the owner
/// (<c>{ownerId}</c>), so every key one script touches hashes to one slot and the same scripts run on a
/// Redis Cluster; a share's snapshot is its own key, tagged by its id. (Feedback has no key of its own: it
/// is stored in the message, in the conversation's list.)
/// </summary>
internal static class SearchAndShareKeys
{
    private const string Prefix = "aspirechat:";

    private static string Owner(string ownerId) => $"{Prefix}owner:{{{ownerId}}}";

    /// <summary>Hash: word → the numbers of the owner's conversations that hold it, as <c>,3,17,</c>.</summary>
    public static string SearchPostings(string ownerId) => $"{Owner(ownerId)}:search:postings";

    /// <summary>Sorted set, every score 0: the words of <see cref="SearchPostings"/>, for prefix lookups (ZRANGEBYLEX).</summary>
    public static string SearchVocabulary(string ownerId) => $"{Owner(ownerId)}:search:vocabulary";

    /// <summary>Hash: <c>c:{conversationId}</c> → its number, <c>n:{number}</c> → the conversation id, <c>next</c> → the last number given.</summary>
    public static string SearchConversations(string ownerId) => $"{Owner(ownerId)}:search:conversations";

    /// <summary>Sorted set: conversation numbers, scored by when their text was last indexed (Unix ms): newest first.</summary>
    public static string SearchRecent(string ownerId) => $"{Owner(ownerId)}:search:recent";

    /// <summary>Hash: share id → its listing (JSON: conversation, title, created, expires) for <c>GET /api/shares</c>.</summary>
    public static string OwnerShares(string ownerId) => $"{Owner(ownerId)}:shares";

    /// <summary>Sorted set: the owner's share ids created in the last hour, scored by creation (Unix ms): the rate limit.</summary>
    public static string OwnerSharesCreated(string ownerId) => $"{Owner(ownerId)}:shares:created";

    /// <summary>String with a time to live: the share's public JSON, exactly as <c>GET /api/shares/{id}</c> answers it.</summary>
    public static string ShareSnapshot(string shareId) => $"{Prefix}share:{{{shareId}}}";
}

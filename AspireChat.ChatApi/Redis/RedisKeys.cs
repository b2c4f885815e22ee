using System.Globalization;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// Every Redis key and channel AspireChat uses, in one place (docs/redis.md lists them with what they hold).
/// Ids are 22-character base64url strings, so they never contain <c>:</c>.
/// </summary>
internal static class RedisKeys
{
    private const string Prefix = "aspirechat:";

    // Every key of a conversation, its replies' included, starts with this: on a Redis Cluster only the part in
    // braces picks the slot (the hash tag), so they all share one, and a script or MULTI may touch any of them.
    private static string Tagged(string conversationId) => $"{Prefix}conversation:{{{conversationId}}}";

    /// <summary>Hash: the conversation's <see cref="ConversationFields"/>.</summary>
    public static string Conversation(string conversationId) => Tagged(conversationId);

    /// <summary>
    /// Hash: message id → the message's JSON, naming its parent (<c>""</c> for a root): the whole tree, and what a turn
    /// walks up from a message to read its branch without the rest.
    /// </summary>
    public static string MessagesById(string conversationId) => $"{Tagged(conversationId)}:message";

    /// <summary>
    /// Sorted set: the message ids, scored by the order they were written (<see cref="ConversationFields.Seq"/>): the
    /// tree oldest first, and the oldest that trimming takes out.
    /// </summary>
    public static string MessageOrder(string conversationId) => $"{Tagged(conversationId)}:order";

    /// <summary>Every key that holds the conversation itself (not its replies or lease): what a delete removes.</summary>
    public static string[] ConversationKeys(string conversationId) =>
        [Conversation(conversationId), MessagesById(conversationId), MessageOrder(conversationId), ListLayout.Messages(conversationId)];

    /// <summary>
    /// Sorted set: the owner's conversation ids, scored by last update (Unix milliseconds). Tagged by owner: its slot
    /// is not its conversations', so it is never written in the same command as one of them (docs/redis.md, "Two slots").
    /// </summary>
    public static string OwnerConversations(string ownerId) => $"{Prefix}owner:{{{ownerId}}}:conversations";

    /// <summary>
    /// String with an expiry (PX): the conversation lease, the id of the one reply streaming in the conversation.
    /// Its holder renews it while the reply streams and releases it at the reply's end.
    /// </summary>
    public static string ConversationLease(string conversationId) => $"{Tagged(conversationId)}:active";

    /// <summary>String: the conversation's latest reply, so the next message can end it if its producer died.</summary>
    public static string LatestReply(string conversationId) => $"{Tagged(conversationId)}:latest";

    /// <summary>
    /// Channel: every stored frame of the conversation's replies, its user messages and branch switches. On a cluster
    /// with sharded pub/sub it lives on the slot of the conversation's tag.
    /// </summary>
    public static string ConversationChannel(string conversationId) => Tagged(conversationId);

    /// <summary>Stream: one entry per frame of the reply, entry id <c>0-n</c> for its n-th frame. Under its conversation's tag.</summary>
    public static string ReplyStream(string conversationId, string messageId) => $"{Tagged(conversationId)}:reply:{messageId}";

    /// <summary>String with an expiry (PX): the reply's producer is alive and still storing its frames; it renews it.</summary>
    public static string ReplyProducer(string conversationId, string messageId) => $"{ReplyStream(conversationId, messageId)}:lease";

    /// <summary>String, SET NX: the one instance allowed to end a reply whose producer died.</summary>
    public static string ReplyFinalizer(string conversationId, string messageId) => $"{ReplyStream(conversationId, messageId)}:finalizer";

    /// <summary>
    /// Channel: stop requests, to whichever instance produces the reply. One classic channel for the whole app, on a
    /// cluster too (docs/redis.md says why).
    /// </summary>
    public const string StopChannel = $"{Prefix}control:stop";

    /// <summary>Hash: word → the numbers of the owner's conversations that hold it, as <c>,3,17,</c>.</summary>
    public static string SearchPostings(string ownerId) => $"{OwnerTagged(ownerId)}:search:postings";

    /// <summary>Sorted set, every score 0: the words of <see cref="SearchPostings"/>, for prefix lookups (ZRANGEBYLEX).</summary>
    public static string SearchVocabulary(string ownerId) => $"{OwnerTagged(ownerId)}:search:vocabulary";

    /// <summary>Hash: <c>c:{conversationId}</c> → its number, <c>n:{number}</c> → the conversation id, <c>next</c> → the last number given.</summary>
    public static string SearchConversations(string ownerId) => $"{OwnerTagged(ownerId)}:search:conversations";

    /// <summary>Sorted set: conversation numbers, scored by when their text was last indexed (Unix ms): newest first.</summary>
    public static string SearchRecent(string ownerId) => $"{OwnerTagged(ownerId)}:search:recent";

    /// <summary>Hash: share id → its listing (JSON: conversation, title, created, expires) for <c>GET /api/shares</c>.</summary>
    public static string OwnerShares(string ownerId) => $"{OwnerTagged(ownerId)}:shares";

    /// <summary>Sorted set: the owner's share ids created in the last hour, scored by creation (Unix ms): the rate limit.</summary>
    public static string OwnerSharesCreated(string ownerId) => $"{OwnerTagged(ownerId)}:shares:created";

    /// <summary>String with a time to live: the share's public JSON, exactly as <c>GET /api/shares/{id}</c> answers it.</summary>
    public static string ShareSnapshot(string shareId) => $"{Prefix}share:{{{shareId}}}";

    // Search and share keys carry a hash tag on the owner, so every key one of their scripts touches hashes to one
    // slot and the same scripts run on a Redis Cluster. (Feedback has no key: it is stored in the message.)
    private static string OwnerTagged(string ownerId) => $"{Prefix}owner:{{{ownerId}}}";

    /// <summary>The id of a reply stream's n-th entry: the producer picks it, so a frame written twice is refused, not duplicated.</summary>
    public static string EntryId(long frameNumber) => $"0-{frameNumber}";

    /// <summary>The frame number of a reply stream entry's id.</summary>
    public static long FrameNumber(string entryId) => long.Parse(entryId.AsSpan(entryId.IndexOf('-') + 1), CultureInfo.InvariantCulture);

    /// <summary>
    /// The keys of the layout before conversations were hash-tagged (up to the release before issue 17), read only to move
    /// a conversation to today's keys on first touch (<c>RedisLegacyLayout</c>, docs/redis.md "The layout before hash tags").
    /// </summary>
    public static class Legacy
    {
        /// <summary>Hash: owner, title, createdAt, updatedAt, leaf (as <see cref="ConversationFields"/>).</summary>
        public static string Conversation(string conversationId) => $"{Prefix}conversation:{conversationId}";

        /// <summary>List: the tree's message JSON, as <see cref="ListLayout.Messages"/> holds it.</summary>
        public static string Messages(string conversationId) => $"{Prefix}conversation:{conversationId}:messages";

        /// <summary>Sorted set: the owner's conversation ids by last update.</summary>
        public static string OwnerConversations(string ownerId) => $"{Prefix}owner:{ownerId}:conversations";

        /// <summary>String: the conversation lease.</summary>
        public static string ConversationLease(string conversationId) => $"{Prefix}conversation:{conversationId}:active";

        /// <summary>String: the conversation's latest reply.</summary>
        public static string LatestReply(string conversationId) => $"{Prefix}conversation:{conversationId}:latest";

        /// <summary>Stream: a reply's frames, as <see cref="ReplyStream"/> holds them.</summary>
        public static string ReplyStream(string messageId) => $"{Prefix}reply:{messageId}";
    }

    /// <summary>
    /// The key of the hash-tagged layout before messages were stored by id (up to 021e57e), read only to convert a
    /// conversation on first touch (<c>RedisConversationStore.ListLayout.cs</c>, docs/redis.md "The message list").
    /// </summary>
    public static class ListLayout
    {
        /// <summary>List: one message JSON per element, oldest first, each naming its parent: the whole tree.</summary>
        public static string Messages(string conversationId) => $"{Tagged(conversationId)}:messages";
    }

    /// <summary>The fields of a conversation's hash.</summary>
    public static class ConversationFields
    {
        public const string Owner = "owner";
        public const string Title = "title";
        public const string CreatedAt = "createdAt";
        public const string UpdatedAt = "updatedAt";

        /// <summary>The active leaf's message id; absent in a conversation written before trees (its newest message is).</summary>
        public const string Leaf = "leaf";

        /// <summary>The last number given to a message of <see cref="MessageOrder"/> (HINCRBY).</summary>
        public const string Seq = "seq";
    }

    /// <summary>The fields of a reply stream's entries; the first entry (the start) also has the owner, the user message and the origin.</summary>
    public static class ReplyFields
    {
        public const string Frame = "frame";

        /// <summary>The seq of the last chunk at or before this frame.</summary>
        public const string Seq = "seq";

        public const string Owner = "owner";
        public const string User = "user";

        /// <summary>The connection that asked for the reply: it gets the reply directly, so its watch passes it by.</summary>
        public const string Origin = "origin";
    }
}

namespace AspireChat.ChatApi.Chat;

/// <summary>The Redis keys and channels of live replies (docs/redis.md, docs/design.md).</summary>
internal static class RedisReplyKeys
{
    private const string Prefix = "aspirechat:";

    /// <summary>Stream: one entry per frame of the reply, entry id <c>0-n</c> for the reply's n-th frame.</summary>
    public static string Stream(string messageId) => $"{Prefix}reply:{messageId}";

    /// <summary>String with a lease (PX): the reply's producer is alive and still storing its frames; it renews it.</summary>
    public static string Lease(string messageId) => $"{Prefix}reply:{messageId}:lease";

    /// <summary>String, SET NX: the one instance allowed to end a reply whose producer died.</summary>
    public static string Finalizer(string messageId) => $"{Prefix}reply:{messageId}:finalizer";

    /// <summary>String with a lease (PX): the reply streaming in the conversation now (one at a time); released at its end.</summary>
    public static string Active(string conversationId) => $"{Prefix}conversation:{conversationId}:active";

    /// <summary>String: the conversation's latest reply, so the next message can finish it if its producer died.</summary>
    public static string Latest(string conversationId) => $"{Prefix}conversation:{conversationId}:latest";

    /// <summary>Channel: every frame of the conversation's replies and its user messages, right after they are stored.</summary>
    public static string Channel(string conversationId) => $"{Prefix}conversation:{conversationId}";

    /// <summary>Channel: stop requests, to whichever instance produces the reply.</summary>
    public const string StopChannel = $"{Prefix}control:stop";

    /// <summary>Stream entry fields.</summary>
    public const string FrameField = "frame";
    public const string SeqField = "seq";
    public const string OwnerField = "owner";
    public const string UserField = "user";

    public static string EntryId(long n) => $"0-{n}";

    public static long EntryNumber(string entryId) => long.Parse(entryId.AsSpan(entryId.IndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture);
}

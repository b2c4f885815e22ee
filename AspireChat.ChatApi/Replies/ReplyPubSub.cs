namespace AspireChat.ChatApi.Replies;

/// <summary>How Redis carries the conversations' channels (<see cref="ReplyOptions.PubSub"/>).</summary>
public enum ReplyPubSub
{
    /// <summary>Sharded when every Redis server the app is connected to is Redis 7 or later, else classic.</summary>
    Auto,

    /// <summary><c>SSUBSCRIBE</c>/<c>SPUBLISH</c>: on a cluster a message goes only to the nodes of its conversation's slot.</summary>
    Sharded,

    /// <summary><c>SUBSCRIBE</c>/<c>PUBLISH</c>: on a cluster every node carries every message.</summary>
    Classic,
}

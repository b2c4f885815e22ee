using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.Replies;

/// <summary>Something that watches a reply: a WebSocket connection or an event stream.</summary>
public interface IReplyObserver
{
    /// <summary>
    /// Hands over one frame without blocking the reply. False means the observer cannot keep up
    /// (or is gone); it is detached and the reply goes on without it.
    /// </summary>
    bool TryDeliver(ServerFrame frame);
}

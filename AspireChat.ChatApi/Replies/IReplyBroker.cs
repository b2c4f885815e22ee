using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.Replies;

/// <summary>
/// Carries replies beyond the connection that asked for them: to other connections (tabs), to clients that come
/// back (resume), and across instances. In memory within one process, or through Redis streams and pub/sub
/// (docs/design.md, "Replies that survive"). Which reply may stream is the conversation lease's to say, not the
/// broker's.
/// </summary>
public interface IReplyBroker
{
    /// <summary>
    /// Tells the conversation's watchers about <paramref name="userMessage"/>, then carries every frame of the turn's
    /// reply to them. The task completes once every frame, the end included, is delivered (or given up on).
    /// </summary>
    Task PublishAsync(ChatTurn turn, ConversationMessage userMessage);

    /// <summary>
    /// Watches a conversation for <paramref name="observer"/>: with a message id, that reply after <c>lastSeq</c>
    /// (then its live tail, or its end); in any case the conversation's later replies and user messages, but those
    /// of <see cref="WatchRequest.OriginId"/>'s own turns, which reach it directly. Returns the watch to dispose, or
    /// the error the client gets.
    /// </summary>
    Task<(IAsyncDisposable? Watch, ErrorFrame? Error)> WatchAsync(WatchRequest request, IReplyObserver observer, CancellationToken cancellationToken);

    /// <summary>
    /// Ends the conversation's latest reply if its producer died and nobody has ended it yet (saved as
    /// <c>interrupted</c>), so that a reader of history sees it without waiting for a watcher or the
    /// next message. Returns whether history changed.
    /// </summary>
    Task<bool> FinalizeAbandonedReplyAsync(string conversationId, CancellationToken cancellationToken);

    /// <summary>
    /// Tells the conversation's watchers, on every instance, something that is not part of a reply (a <c>branch</c>
    /// switch), except the connection <paramref name="originId"/> that caused it.
    /// </summary>
    Task PublishToWatchersAsync(string conversationId, ServerFrame frame, string? originId, CancellationToken cancellationToken);

    /// <summary>Asks every other instance to stop the reply streaming in the owner's conversation.</summary>
    Task RequestStopAsync(string ownerId, string conversationId, CancellationToken cancellationToken);

    /// <summary>Called with (owner, conversation) when a stop for a reply produced here arrives from elsewhere.</summary>
    void OnStopRequested(Action<string, string> stop);
}

/// <summary>
/// A <c>resume</c>: the conversation, optionally the reply and the last <c>seq</c> the client has.
/// <paramref name="OriginId"/> names the connection: its own turns reach it directly, not through the watch.
/// </summary>
public sealed record WatchRequest(string OwnerId, string ConversationId, string? MessageId, long LastSeq, string OriginId);

using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// Carries replies beyond the connection that asked for them: to other connections (tabs), to
/// clients that come back (resume), and across instances. In memory within one process, or
/// through Redis streams and pub/sub (docs/design.md, "Replies that survive").
/// </summary>
public interface IReplyBroker
{
    /// <summary>
    /// Claims <paramref name="turn"/>'s conversation for its reply, across instances, and tells the
    /// conversation's watchers about the user message. A reply whose producer died is finalized
    /// (saved as <c>interrupted</c>) first.
    /// </summary>
    Task<ClaimResult> ClaimAsync(ChatTurn turn, ConversationMessage userMessage, CancellationToken cancellationToken);

    /// <summary>
    /// Carries the claimed reply's frames to its watchers from now on. The task completes once
    /// every frame, the end included, is delivered (or given up on) and the claim is released.
    /// </summary>
    Task Publish(ChatTurn turn, ConversationMessage userMessage);

    /// <summary>
    /// Watches a conversation for <paramref name="observer"/>: with a message id, that reply after
    /// <c>lastSeq</c> (then its live tail, or its end); in any case the conversation's later replies
    /// and user messages. Returns the watch to dispose, or the error the client gets.
    /// </summary>
    Task<(IAsyncDisposable? Watch, ErrorFrame? Error)> WatchAsync(WatchRequest request, IReplyObserver observer, CancellationToken cancellationToken);

    /// <summary>
    /// Ends the conversation's latest reply if its producer died and nobody has ended it yet (saved as
    /// <c>interrupted</c>), so that a reader of history sees it without waiting for a watcher or the
    /// next message. Returns whether history changed.
    /// </summary>
    Task<bool> FinalizeAbandonedReplyAsync(string conversationId, CancellationToken cancellationToken);

    /// <summary>
    /// Tells the conversation's watchers, on every instance, what changed there outside a reply: its active
    /// leaf moved (a switch, <see cref="BranchFrame"/>), a reply was rated (<see cref="FeedbackFrame"/>).
    /// The connection <paramref name="originId"/> that caused it, if any, is left out.
    /// </summary>
    Task PublishFrameAsync(string ownerId, string conversationId, ServerFrame frame, string? originId, CancellationToken cancellationToken);

    /// <summary>Asks every instance to stop the reply streaming in the owner's conversation.</summary>
    Task RequestStopAsync(string ownerId, string conversationId, CancellationToken cancellationToken);

    /// <summary>Called with (owner, conversation) when a stop for a reply produced here arrives from elsewhere.</summary>
    void OnStopRequested(Action<string, string> stop);
}

/// <summary>What a claim found.</summary>
public enum ClaimResult
{
    Claimed,

    /// <summary>Claimed, after saving the conversation's previous reply as interrupted: history changed.</summary>
    ClaimedAfterInterrupted,

    /// <summary>Another reply is streaming in the conversation.</summary>
    Busy,
}

/// <summary>
/// A <c>resume</c>: the conversation, optionally the reply and the last <c>seq</c> the client has.
/// <paramref name="OriginId"/> names the connection, so it is not echoed its own user messages.
/// </summary>
public sealed record WatchRequest(string OwnerId, string ConversationId, string? MessageId, long LastSeq, string OriginId);

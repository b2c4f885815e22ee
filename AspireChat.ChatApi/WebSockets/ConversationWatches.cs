using System.Collections.Concurrent;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// The conversations one connection watches (<c>resume</c>, docs/protocol.md): at most
/// <see cref="MaxWatchedConversations"/>, the oldest let go first. Each watch brings the replies and user messages
/// of other connections' turns there; this connection's own turns reach it directly. A resume names the last seq
/// the client has, and <see cref="DeliveryFilter"/> passes only what is new to it, across a watch replaced by a
/// resume of the same conversation.
/// </summary>
internal sealed partial class ConversationWatches(string ownerId, ChatSocketConnection connection, IReplyBroker broker, ILogger logger) : IReplyObserver, IAsyncDisposable
{
    /// <summary>Conversations one connection watches at most: a page that opens one after another does not pile up watches.</summary>
    public const int MaxWatchedConversations = 16;

    private readonly DeliveryFilter _delivered = new();
    private readonly ConcurrentDictionary<string, Task<IAsyncDisposable?>> _watches = new(StringComparer.Ordinal);
    // In which order they were asked for: the receive loop's alone.
    private readonly Queue<string> _order = new();

    /// <summary>Watches a conversation (once), replaying the reply the client names after its last seq.</summary>
    public void Resume(ClientFrame frame)
    {
        var request = new WatchRequest(ownerId, frame.ConversationId!, frame.MessageId, frame.LastSeq ?? 0, connection.OriginId);
        var previous = _watches.GetValueOrDefault(request.ConversationId);
        if (request.MessageId is null && previous is { IsCompletedSuccessfully: true, Result: not null })
        {
            // Already watching it.
            return;
        }

        if (request.MessageId is { } messageId)
        {
            // What the client has already counts as delivered.
            _delivered.Resumed(messageId, request.LastSeq);
        }

        _watches[request.ConversationId] = WatchAsync(request, previous);
        if (previous is null)
        {
            _order.Enqueue(request.ConversationId);
            if (_order.Count > MaxWatchedConversations && _watches.TryRemove(_order.Dequeue(), out var oldest))
            {
                _ = UnwatchAsync(oldest);
            }
        }
    }

    /// <summary>A frame a watch brings: passed on unless the client has it.</summary>
    public bool TryDeliver(ServerFrame frame) => !_delivered.IsNew(frame) || connection.Send(frame);

    public async ValueTask DisposeAsync()
    {
        foreach (var watch in _watches.Values)
        {
            await UnwatchAsync(watch);
        }
    }

    private static async Task UnwatchAsync(Task<IAsyncDisposable?> watch)
    {
        if (await watch is { } watching)
        {
            await watching.DisposeAsync();
        }
    }

    private async Task<IAsyncDisposable?> WatchAsync(WatchRequest request, Task<IAsyncDisposable?>? previous)
    {
        try
        {
            if (previous is not null && await previous is { } old)
            {
                await old.DisposeAsync();
            }

            var (watch, error) = await broker.WatchAsync(request, this, connection.Closing);
            if (error is not null)
            {
                connection.Send(error);
            }

            return watch;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogWatchFailed(logger, exception);
            connection.Send(new ErrorFrame(ErrorCodes.StoreUnavailable, "The conversation cannot be watched right now; try again shortly.") { ConversationId = request.ConversationId, MessageId = request.MessageId });
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Watching a conversation failed.")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception);
}

using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// What one connection does with each frame its client sends (docs/protocol.md): a message, a regenerate or an edit
/// starts a turn (within the connection's rate limit), a stop stops one, a resume watches a conversation, a switch
/// moves its branch. Every answer goes back on the connection.
/// </summary>
public sealed partial class ClientFrameDispatcher(
    string ownerId,
    ChatSocketConnection connection,
    ReplyCoordinator coordinator,
    IReplyBroker broker,
    BranchSwitcher switcher,
    IConversationStore store,
    ChatServiceOptions options,
    TimeProvider timeProvider,
    ILogger logger) : IAsyncDisposable
{
    // Made by the first message and the first resume: an idle connection holds neither.
    private MessageTokenBucket? _messageBudget;
    private ConversationWatches? _watches;

    public void Handle(ReadOnlySpan<byte> utf8Json)
    {
        var (frame, error) = ClientFrame.Parse(utf8Json);
        if (error is not null)
        {
            connection.Send(error);
            return;
        }

        switch (frame!.Type)
        {
            case ClientFrame.StopType:
                _ = StopAsync(frame.ConversationId!);
                break;
            case ClientFrame.ResumeType:
                (_watches ??= new ConversationWatches(ownerId, connection, broker, logger)).Resume(frame);
                break;
            case ClientFrame.SwitchType:
                _ = SwitchAsync(frame);
                break;
            case ClientFrame.MessageType or ClientFrame.RegenerateType or ClientFrame.EditType:
                BeginTurn(frame);
                break;
        }
    }

    public ValueTask DisposeAsync() => _watches?.DisposeAsync() ?? ValueTask.CompletedTask;

    private void BeginTurn(ClientFrame frame)
    {
        _messageBudget ??= new MessageTokenBucket(options.Limits, timeProvider);
        if (!_messageBudget.TryTake(out var retryAfter))
        {
            connection.Send(new ErrorFrame(ErrorCodes.RateLimited, $"Too many messages; try again in {retryAfter.TotalSeconds:0.#} s.")
            {
                ConversationId = frame.ConversationId,
                ReplyTo = frame.Id,
                RetryAfterMs = (long)Math.Ceiling(retryAfter.TotalMilliseconds),
            });
            return;
        }

        var kind = frame.Type switch
        {
            ClientFrame.RegenerateType => TurnKind.Regenerate,
            ClientFrame.EditType => TurnKind.Edit,
            _ => TurnKind.Message,
        };
        var reply = coordinator.Begin(new ChatTurnRequest(ownerId, frame.Content ?? "", frame.ConversationId, frame.Id, frame.Traceparent, connection.OriginId, kind, frame.MessageId), connection);
        connection.Asked(reply);
    }

    /// <summary>
    /// Stops the reply streaming in the conversation, on whichever instance produces it; a stop only ever reaches the
    /// owner's own reply, so it goes out at once. A conversation the client cannot see (another owner's, or none) is
    /// then answered <c>not_found</c>; one of its own with no reply streaming gets no answer: the reply it meant to
    /// stop has ended, and its <c>end</c> says how.
    /// </summary>
    private async Task StopAsync(string conversationId)
    {
        if (!ConversationIds.IsWellFormed(conversationId))
        {
            connection.Send(NotFound(conversationId));
            return;
        }

        if (coordinator.Stop(ownerId, conversationId))
        {
            return;
        }

        try
        {
            if (!await store.ExistsAsync(ownerId, conversationId, connection.Closing))
            {
                connection.Send(NotFound(conversationId));
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogStopUnchecked(logger, exception);
        }
        catch (OperationCanceledException)
        {
            // The connection is closing.
        }
    }

    private static ErrorFrame NotFound(string conversationId) => new(ErrorCodes.NotFound, "No such conversation.") { ConversationId = conversationId };

    private async Task SwitchAsync(ClientFrame frame)
    {
        try
        {
            connection.Send(await switcher.SwitchAsync(ownerId, frame.ConversationId!, frame.MessageId, frame.ParentId, frame.Index, connection.OriginId, connection.Closing));
        }
        catch (OperationCanceledException)
        {
            // The connection is closing.
        }
    }

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "The conversation store could not say whose conversation a stop names; the client is not told.")]
    private static partial void LogStopUnchecked(ILogger logger, Exception exception);
}

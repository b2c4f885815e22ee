namespace AspireChat.ChatApi.Chat;

/// <summary>
/// The shared store of one chat turn's flow: the user's message in, the streaming reply out.
/// The prep step fills in the conversation; stop and shutdown cancel <see cref="StopToken"/>.
/// </summary>
public sealed class ChatTurn(string ownerId, string? conversationId, string content, string? clientMessageId, string? traceparent, DateTimeOffset receivedAt) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public string OwnerId { get; } = ownerId;

    /// <summary>The conversation to continue; null starts a new one, whose id prep sets.</summary>
    public string? ConversationId { get; set; } = conversationId;

    /// <summary>The user's text; a regenerate's prep sets it from the stored message it answers again.</summary>
    public string Content { get; set; } = content;

    /// <summary>A new message, a regenerate or an edit.</summary>
    public TurnKind Kind { get; init; } = TurnKind.Message;

    /// <summary>For a regenerate or an edit: the message it starts from.</summary>
    public string? TargetMessageId { get; init; }

    public string? ClientMessageId { get; } = clientMessageId;

    public string? Traceparent { get; } = traceparent;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    public LiveReply Reply { get; } = new(clientMessageId);

    /// <summary>The connection that sent the message: its own user message is not echoed back to it.</summary>
    public string? OriginId { get; init; }

    /// <summary>Completes once the reply broker has carried the whole reply (set by prep).</summary>
    public Task Published { get; set; } = Task.CompletedTask;

    /// <summary>Called by post just before <c>end</c>: a client may send its next message the moment it sees <c>end</c>.</summary>
    public Action<ChatTurn>? ReleaseConversation { get; init; }

    /// <summary>Called by prep once a new conversation exists, so it is guarded like any other.</summary>
    public Action<ChatTurn>? ConversationCreated { get; init; }

    /// <summary>Cancelled when the user stops the reply or the server shuts down.</summary>
    public CancellationToken StopToken => _stop.Token;

    public void RequestStop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The turn has finished; nothing to stop.
        }
    }

    public void Dispose() => _stop.Dispose();
}

/// <summary>What a turn does to the conversation's tree.</summary>
public enum TurnKind
{
    /// <summary>A new user message below the active leaf.</summary>
    Message,

    /// <summary>A new reply to a stored user message, beside the replies it has.</summary>
    Regenerate,

    /// <summary>A new user message beside a stored one (same parent), and a reply to it.</summary>
    Edit,
}

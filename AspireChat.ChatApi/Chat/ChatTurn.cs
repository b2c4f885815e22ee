using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Replies;

namespace AspireChat.ChatApi.Chat;

/// <summary>What a client asks for: a user message, a regenerate or an edit, in a conversation or a new one.</summary>
public sealed record ChatTurnRequest(string OwnerId, string Content, string? ConversationId, string? ClientMessageId, string? Traceparent, string? OriginId = null, TurnKind Kind = TurnKind.Message, string? TargetMessageId = null);

/// <summary>
/// The shared store of one chat turn's flow (docs/design.md): what the client sent, then what each node adds:
/// load the user message and the branch above it, announce the publication of the reply, stream the model's answer.
/// It holds data only; the nodes return what happened and the coordinator acts on it.
/// </summary>
public sealed class ChatTurn(ChatTurnRequest request, DateTimeOffset receivedAt) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public string OwnerId { get; } = request.OwnerId;

    /// <summary>The conversation; for a new one, an id made for it before it is created, so it is leased like any other.</summary>
    public string ConversationId { get; } = request.ConversationId ?? ConversationIds.New();

    /// <summary>The turn starts a conversation: load creates it, titled from <see cref="Content"/>.</summary>
    public bool IsNewConversation { get; } = request.ConversationId is null;

    public TurnKind Kind { get; } = request.Kind;

    /// <summary>For a regenerate or an edit: the message it starts from.</summary>
    public string? TargetMessageId { get; } = request.TargetMessageId;

    public string? ClientMessageId { get; } = request.ClientMessageId;

    public string? Traceparent { get; } = request.Traceparent;

    /// <summary>The connection that sent the message: it gets the reply directly, so its watch of the conversation passes it by.</summary>
    public string? OriginId { get; } = request.OriginId;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    /// <summary>The reply as it streams, to the connection that asked and to every observer attached since.</summary>
    public LiveReply Reply { get; } = new(request.ClientMessageId);

    /// <summary>The user's text; for a regenerate, load sets it from the stored message it answers again.</summary>
    public string Content { get; set; } = request.Content;

    /// <summary>Set by load: the user message the reply answers, new or stored (a regenerate), with its parent.</summary>
    public ConversationMessage? UserMessage { get; set; }

    /// <summary>Set by load: the branch above the user message, root first, which the prompt is built from.</summary>
    public IReadOnlyList<ConversationMessage> History { get; set; } = [];

    /// <summary>Set by announce: completes once the reply broker has carried the whole reply to other connections and instances.</summary>
    public Task Published { get; set; } = Task.CompletedTask;

    /// <summary>Set by stream: the reply as far as it got, and how it ended.</summary>
    public ChatReply? Result { get; set; }

    /// <summary>Cancelled when the user stops the reply or the server shuts down: the model call ends, the reply is still saved.</summary>
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

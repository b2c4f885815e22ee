using AspireChat.ChatApi.Flow;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// A chat turn as a flow of small nodes (docs/design.md): load the conversation → announce the turn to its watchers
/// → stream the model's reply → save the turn. The nodes keep no state of their own, so one flow serves every turn;
/// each turn's state is its <see cref="ChatTurn"/>. The coordinator holds the conversation's lease around it and
/// sends the reply's end once it is released.
/// </summary>
public sealed class ChatTurnFlow
{
    private readonly AsyncFlow<ChatTurn> _flow;

    public ChatTurnFlow(LoadConversationNode load, AnnounceTurnNode announce, StreamReplyNode stream, SaveTurnNode save, ILogger<ChatTurnFlow> logger)
    {
        load.Then(announce).Then(stream).Then(save);
        _flow = new AsyncFlow<ChatTurn>(load, logger);
    }

    /// <summary>Runs the turn's nodes; a refusal (<see cref="ChatTurnRejectedException"/>) ends it before anything is written.</summary>
    public Task RunAsync(ChatTurn turn, CancellationToken cancellationToken) => _flow.RunAsync(turn, cancellationToken);
}

using AspireChat.ChatApi.Flow;
using AspireChat.ChatApi.Replies;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// Announce: tells the conversation's watchers (other tabs, other instances) the user message, and has the reply
/// broker carry every frame of the reply to them from now on. Before stream, so they get the whole reply live.
/// </summary>
public sealed class AnnounceTurnNode(IReplyBroker broker) : AsyncNode<ChatTurn, ChatTurn, Task>
{
    protected override Task<ChatTurn> PrepAsync(ChatTurn turn, CancellationToken cancellationToken) => Task.FromResult(turn);

    // Not awaited here: the task completes when the reply's last frame is carried, which the coordinator awaits.
    protected override Task<Task> ExecAsync(ChatTurn turn, CancellationToken cancellationToken) =>
        Task.FromResult(broker.PublishAsync(turn, turn.UserMessage!));

    protected override Task<string?> PostAsync(ChatTurn turn, ChatTurn prep, Task published, CancellationToken cancellationToken)
    {
        turn.Published = published;
        return Task.FromResult<string?>(null);
    }
}

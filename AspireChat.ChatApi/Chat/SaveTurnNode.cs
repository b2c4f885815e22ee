using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Flow;
using AspireChat.ChatApi.Protocol;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// Save: appends the user message and the reply to history as one atomic turn, whatever the reply's end (a stopped
/// or failed reply keeps what was streamed). A store that blinks must not lose a reply, so a failed write is tried
/// again with a doubling pause (<c>Chat:HistoryWriteAttempts</c>, <c>Chat:HistoryWriteRetryWait</c>); the client is
/// told when it could not be saved.
/// </summary>
public sealed class SaveTurnNode : AsyncNode<ChatTurn, SaveTurnNode.Turn, SaveTurnNode.Outcome>
{
    private readonly IConversationStore _store;
    private readonly ILogger _logger;

    public SaveTurnNode(IConversationStore store, IOptions<ChatServiceOptions> options, TimeProvider timeProvider, ILogger<SaveTurnNode> logger)
        : base(options.Value.HistoryWriteAttempts, options.Value.HistoryWriteRetryWait)
    {
        _store = store;
        _logger = logger;
        Backoff = 2;
        TimeProvider = timeProvider;
    }

    /// <summary>The two messages to append to the owner's conversation.</summary>
    public sealed record Turn(string OwnerId, string ConversationId, ConversationMessage UserMessage, ConversationMessage AssistantMessage);

    public enum Outcome
    {
        Saved,

        /// <summary>Deleted meanwhile, or lost by the store (a Redis without persistence restarted).</summary>
        ConversationGone,

        /// <summary>Every try failed.</summary>
        Failed,
    }

    protected override Task<Turn> PrepAsync(ChatTurn turn, CancellationToken cancellationToken)
    {
        var result = turn.Result!;
        var reply = turn.Reply;
        // With the reply's telemetry, so that a rating given later can be tied to its trace (Feedback/).
        var assistant = new ConversationMessage(reply.MessageId, MessageRoles.Assistant, result.Text, TimeProvider.GetUtcNow(), result.FinishReason, result.Usage,
            TraceId: reply.Activity?.TraceId.ToHexString(), SpanId: reply.Activity?.SpanId.ToHexString(), ModelSpanId: result.ModelSpanId, Model: reply.Model);
        return Task.FromResult(new Turn(turn.OwnerId, turn.ConversationId, turn.UserMessage!, assistant));
    }

    protected override async Task<Outcome> ExecAsync(Turn turn, CancellationToken cancellationToken) =>
        await _store.AppendTurnAsync(turn.OwnerId, turn.ConversationId, turn.UserMessage, turn.AssistantMessage, cancellationToken)
            ? Outcome.Saved
            : Outcome.ConversationGone;

    protected override void OnExecFailed(Turn turn, Exception exception, int attempt) =>
        ChatLog.HistoryWriteFailed(_logger, exception, attempt);

    protected override Task<Outcome> ExecFallbackAsync(Turn turn, Exception exception, CancellationToken cancellationToken) =>
        Task.FromResult(Outcome.Failed);

    protected override Task<string?> PostAsync(ChatTurn turn, Turn saved, Outcome outcome, CancellationToken cancellationToken)
    {
        switch (outcome)
        {
            case Outcome.ConversationGone:
                ChatLog.ConversationGoneBeforeSave(_logger, turn.ConversationId);
                turn.Reply.Fail(ErrorCodes.HistoryNotSaved, "The conversation no longer exists, so the reply was not saved.");
                break;
            case Outcome.Failed:
                turn.Reply.Fail(ErrorCodes.HistoryNotSaved, "The reply was streamed, but it could not be saved to history.");
                break;
        }

        return Task.FromResult<string?>(null);
    }
}

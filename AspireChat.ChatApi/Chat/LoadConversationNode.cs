using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Flow;
using AspireChat.ChatApi.Protocol;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// Load: reads the branch the turn goes on (or creates the conversation, titled from the message) and places the turn
/// in its tree. It reads only that branch, as far back as the prompt's history budget reaches
/// (<see cref="IConversationStore.GetPathAsync"/>), so a turn's read does not grow with the conversation. A
/// conversation that is not the owner's, a message id that is taken or not in it and a store that cannot be reached
/// refuse the turn (<see cref="ChatTurnRejectedException"/>) before anything is written.
/// </summary>
public sealed class LoadConversationNode(IConversationStore store, IOptions<ConversationOptions> options, IOptions<ChatServiceOptions> chatOptions, ILogger<LoadConversationNode> logger)
    : AsyncNode<ChatTurn, LoadConversationNode.Request, ConversationPath?>
{
    /// <summary>What exec reads or creates: the path to <paramref name="PathEnd"/> (null: the active leaf).</summary>
    public sealed record Request(string OwnerId, string ConversationId, bool Create, string Title, string? PathEnd, string? IdToCheck, int MaxCharacters);

    protected override Task<Request> PrepAsync(ChatTurn turn, CancellationToken cancellationToken) =>
        Task.FromResult(new Request(turn.OwnerId, turn.ConversationId, turn.IsNewConversation, turn.IsNewConversation ? Title(turn.Content) : "",
            TurnPlacement.PathEnd(turn), TurnPlacement.IdToCheck(turn), chatOptions.Value.HistoryBudgetCharacters));

    protected override async Task<ConversationPath?> ExecAsync(Request request, CancellationToken cancellationToken)
    {
        if (!request.Create)
        {
            return await store.GetPathAsync(request.OwnerId, request.ConversationId, request.PathEnd, request.MaxCharacters, request.IdToCheck, cancellationToken);
        }

        var created = await store.CreateAsync(request.OwnerId, request.ConversationId, request.Title, cancellationToken);
        return new ConversationPath(created.Id, created.Title, created.CreatedAt, created.UpdatedAt, null, []);
    }

    protected override Task<ConversationPath?> ExecFallbackAsync(Request request, Exception exception, CancellationToken cancellationToken)
    {
        ChatLog.StoreUnavailable(logger, exception);
        throw new ChatTurnRejectedException(new ErrorFrame(ErrorCodes.StoreUnavailable, "The conversation store is unavailable; your message was not taken. Try again shortly.")
        {
            ConversationId = request.Create ? null : request.ConversationId,
        });
    }

    protected override Task<string?> PostAsync(ChatTurn turn, Request request, ConversationPath? conversation, CancellationToken cancellationToken)
    {
        if (conversation is null)
        {
            throw new ChatTurnRejectedException(new ErrorFrame(ErrorCodes.NotFound, "No such conversation.") { ConversationId = turn.ConversationId });
        }

        var place = TurnPlacement.Place(turn, conversation);
        turn.UserMessage = place.UserMessage;
        turn.History = place.History;
        turn.Content = place.Content;
        turn.Reply.Activity?.SetTag("gen_ai.conversation.id", conversation.Id);
        return Task.FromResult<string?>(null);
    }

    private string Title(string content)
    {
        var line = content.ReplaceLineEndings(" ").Trim();
        var length = options.Value.TitleLength;
        return line.Length <= length ? line : line[..length].TrimEnd() + "…";
    }
}

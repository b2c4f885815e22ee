using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.Chat;

/// <summary>Where a turn goes in its conversation's tree: the user message and the branch above it, root first.</summary>
public sealed record TurnPlace(ConversationMessage UserMessage, IReadOnlyList<ConversationMessage> History, string Content);

/// <summary>
/// Places a turn in the conversation's tree (docs/design.md, "Conversations are trees") from the one branch load read
/// (<see cref="ConversationPath"/>): a message goes below the active leaf (the path to it); a regenerate answers a
/// stored user message again (the path to the target, a user message or the reply that answered it); an edit is a
/// new sibling of a user message (the path to it: the target and the branch above it). A message id that is taken,
/// and a target that is not in the conversation, are refused before anything is written.
/// </summary>
public static class TurnPlacement
{
    /// <summary>The message the load reads the path to: null for the active leaf.</summary>
    public static string? PathEnd(ChatTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return turn.Kind == TurnKind.Message ? null : turn.TargetMessageId;
    }

    /// <summary>The client's id the load checks: a regenerate's is its reply's, which a retry may have stored.</summary>
    public static string? IdToCheck(ChatTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return turn.Kind == TurnKind.Regenerate ? null : turn.ClientMessageId;
    }

    public static TurnPlace Place(ChatTurn turn, ConversationPath path)
    {
        ArgumentNullException.ThrowIfNull(turn);
        ArgumentNullException.ThrowIfNull(path);
        if (path.IdTaken)
        {
            throw Refuse(path, ErrorCodes.InvalidFrame, $"The id \"{turn.ClientMessageId}\" is taken by a message of this conversation.");
        }

        var messages = path.Messages;
        switch (turn.Kind)
        {
            case TurnKind.Regenerate:
            {
                var target = Target(turn, path);
                // A reply's user message is the one above it on the path: gone (trimmed) or not a user's, nothing to answer again.
                var at = target.Role == MessageRoles.User ? messages.Count - 1
                    : messages.Count >= 2 && messages[^2].Id == target.ParentId ? messages.Count - 2
                    : -1;
                return at >= 0 && messages[at] is { Role: MessageRoles.User } asked
                    ? new TurnPlace(asked, Above(messages, at), asked.Content)
                    : throw Refuse(path, ErrorCodes.InvalidTarget, "That reply answers no stored message, so it cannot be regenerated.");
            }

            case TurnKind.Edit:
            {
                var target = Target(turn, path);
                if (target.Role != MessageRoles.User)
                {
                    throw Refuse(path, ErrorCodes.InvalidTarget, "Only your own messages can be edited; regenerate a reply instead.");
                }

                var edited = new ConversationMessage(turn.ClientMessageId ?? ConversationIds.New(), MessageRoles.User, turn.Content, turn.ReceivedAt, ParentId: target.ParentId);
                return new TurnPlace(edited, Above(messages, messages.Count - 1), turn.Content);
            }

            default:
            {
                var message = new ConversationMessage(turn.ClientMessageId ?? ConversationIds.New(), MessageRoles.User, turn.Content, turn.ReceivedAt, ParentId: path.ActiveLeafId);
                return new TurnPlace(message, messages, turn.Content);
            }
        }
    }

    /// <summary>The target: the last message of the path read to it, which is empty when there is no such message.</summary>
    private static ConversationMessage Target(ChatTurn turn, ConversationPath path) =>
        path.Messages.Count > 0 && path.Messages[^1].Id == turn.TargetMessageId
            ? path.Messages[^1]
            : throw Refuse(path, ErrorCodes.NotFound, $"No message \"{turn.TargetMessageId}\" in this conversation.");

    /// <summary>The branch above the path's message at <paramref name="index"/>, root first.</summary>
    private static ConversationMessage[] Above(IReadOnlyList<ConversationMessage> messages, int index) => [.. messages.Take(index)];

    // No messageId on these errors: a connection drops a repeat of a reply's error, and there is no reply.
    private static ChatTurnRejectedException Refuse(ConversationPath path, string code, string message) =>
        new(new ErrorFrame(code, message) { ConversationId = path.Id });
}

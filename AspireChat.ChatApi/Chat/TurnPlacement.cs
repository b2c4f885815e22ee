using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.Chat;

/// <summary>Where a turn goes in its conversation's tree: the user message and the branch above it, root first.</summary>
public sealed record TurnPlace(ConversationMessage UserMessage, IReadOnlyList<ConversationMessage> History, string Content);

/// <summary>
/// Places a turn in the conversation's tree (docs/design.md, "Conversations are trees"): a message goes below the
/// active leaf; a regenerate answers a stored user message again; an edit is a new sibling of a user message. A
/// message id that is not in the conversation is refused, before anything is written.
/// </summary>
public static class TurnPlacement
{
    public static TurnPlace Place(ChatTurn turn, Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(turn);
        ArgumentNullException.ThrowIfNull(conversation);
        var tree = new ConversationTree(conversation.Messages);
        if (turn.ClientMessageId is { } clientId && turn.Kind != TurnKind.Regenerate && tree.Find(clientId) is not null)
        {
            throw Refuse(conversation, ErrorCodes.InvalidFrame, $"The id \"{clientId}\" is taken by a message of this conversation.");
        }

        switch (turn.Kind)
        {
            case TurnKind.Regenerate:
            {
                var target = Find(tree, turn, conversation);
                var asked = target.Role == MessageRoles.User ? target : target.ParentId is { } parent ? tree.Find(parent) : null;
                return asked is { Role: MessageRoles.User }
                    ? new TurnPlace(asked, tree.PathTo(asked.ParentId), asked.Content)
                    : throw Refuse(conversation, ErrorCodes.InvalidTarget, "That reply answers no stored message, so it cannot be regenerated.");
            }

            case TurnKind.Edit:
            {
                var target = Find(tree, turn, conversation);
                if (target.Role != MessageRoles.User)
                {
                    throw Refuse(conversation, ErrorCodes.InvalidTarget, "Only your own messages can be edited; regenerate a reply instead.");
                }

                var edited = new ConversationMessage(turn.ClientMessageId ?? ConversationIds.New(), MessageRoles.User, turn.Content, turn.ReceivedAt, ParentId: target.ParentId);
                return new TurnPlace(edited, tree.PathTo(target.ParentId), turn.Content);
            }

            default:
            {
                var leaf = conversation.ActiveLeafId;
                var message = new ConversationMessage(turn.ClientMessageId ?? ConversationIds.New(), MessageRoles.User, turn.Content, turn.ReceivedAt, ParentId: leaf);
                return new TurnPlace(message, tree.PathTo(leaf), turn.Content);
            }
        }
    }

    private static ConversationMessage Find(ConversationTree tree, ChatTurn turn, Conversation conversation) =>
        tree.Find(turn.TargetMessageId!) ?? throw Refuse(conversation, ErrorCodes.NotFound, $"No message \"{turn.TargetMessageId}\" in this conversation.");

    // No messageId on these errors: a connection drops a repeat of a reply's error, and there is no reply.
    private static ChatTurnRejectedException Refuse(Conversation conversation, string code, string message) =>
        new(new ErrorFrame(code, message) { ConversationId = conversation.Id });
}

using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;

namespace AspireChat.ChatApi.Conversations;

/// <summary>
/// A <c>switch</c>: moves a conversation's active leaf to the newest leaf under the message the
/// client names (by id, or as the index-th child of a parent), and tells every tab watching it.
/// </summary>
public sealed partial class BranchSwitcher(IConversationStore store, IReplyBroker broker, ILogger<BranchSwitcher> logger)
{
    /// <summary>
    /// The <c>branch</c> frame for the caller, or the error. <paramref name="parentId"/> with
    /// <paramref name="index"/> (from 1) names a sibling; a null parent names the roots.
    /// </summary>
    public async Task<ServerFrame> SwitchAsync(string ownerId, string conversationId, string? messageId, string? parentId, int? index, string? originId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(conversationId);
        try
        {
            if (!ConversationIds.IsWellFormed(conversationId) || await store.GetAsync(ownerId, conversationId, cancellationToken) is not { } conversation)
            {
                return new ErrorFrame(ErrorCodes.NotFound, "No such conversation.") { ConversationId = conversationId };
            }

            var tree = new ConversationTree(conversation.Messages);
            string target;
            if (messageId is not null)
            {
                if (tree.Find(messageId) is null)
                {
                    return new ErrorFrame(ErrorCodes.NotFound, $"No message \"{messageId}\" in this conversation.") { ConversationId = conversationId, MessageId = messageId };
                }

                target = messageId;
            }
            else
            {
                if (parentId is not null && tree.Find(parentId) is null)
                {
                    return new ErrorFrame(ErrorCodes.NotFound, $"No message \"{parentId}\" in this conversation.") { ConversationId = conversationId, MessageId = parentId };
                }

                var siblings = tree.Children(parentId);
                if (index is not { } i || i < 1 || i > siblings.Count)
                {
                    return new ErrorFrame(ErrorCodes.InvalidIndex, $"There is no message {index} of {siblings.Count} there.") { ConversationId = conversationId, MessageId = parentId };
                }

                target = siblings[i - 1].Id;
            }

            var leaf = tree.NewestLeafUnder(target);
            if (!await store.SetActiveLeafAsync(ownerId, conversationId, leaf, cancellationToken))
            {
                // Deleted or trimmed in between.
                return new ErrorFrame(ErrorCodes.NotFound, "That message is gone.") { ConversationId = conversationId, MessageId = leaf };
            }

            var branch = new BranchFrame(conversationId, leaf);
            await broker.PublishToWatchersAsync(conversationId, branch, originId, cancellationToken);
            return branch;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogStoreUnavailable(logger, exception);
            return new ErrorFrame(ErrorCodes.StoreUnavailable, "The conversation store is unavailable; the branch was not switched.") { ConversationId = conversationId };
        }
    }

    [LoggerMessage(EventId = 3200, Level = LogLevel.Warning, Message = "The conversation store is unavailable; a branch switch was refused.")]
    private static partial void LogStoreUnavailable(ILogger logger, Exception exception);
}

using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Feedback;

/// <summary>Ratings in the in-memory store's messages.</summary>
public sealed class InMemoryFeedbackStore(InMemoryConversationStore conversations) : IFeedbackStore
{
    public Task<FeedbackResult> SetAsync(string ownerId, string conversationId, string messageId, MessageFeedback? feedback, CancellationToken cancellationToken)
    {
        var message = conversations.UpdateMessage(ownerId, conversationId, messageId,
            m => m.Role == MessageRoles.Assistant ? m with { Feedback = feedback } : null);
        return Task.FromResult(message switch
        {
            null => new FeedbackResult(FeedbackOutcome.NotFound),
            { Role: not MessageRoles.Assistant } => new FeedbackResult(FeedbackOutcome.NotAssistant),
            _ => new FeedbackResult(FeedbackOutcome.Saved, message),
        });
    }
}

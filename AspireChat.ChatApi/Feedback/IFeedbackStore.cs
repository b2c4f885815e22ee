using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Feedback;

/// <summary>Stores a rating in the reply it rates (<see cref="ConversationMessage.Feedback"/>), in whichever store holds the conversation.</summary>
public interface IFeedbackStore
{
    /// <summary>Sets (or, with null, removes) the rating of one of the owner's replies, atomically with the checks.</summary>
    Task<FeedbackResult> SetAsync(string ownerId, string conversationId, string messageId, MessageFeedback? feedback, CancellationToken cancellationToken);
}

/// <summary>What setting a rating found, and the message as stored after it.</summary>
public sealed record FeedbackResult(FeedbackOutcome Outcome, ConversationMessage? Message = null);

public enum FeedbackOutcome
{
    Saved,

    /// <summary>No such conversation of the owner's, or no such message in it.</summary>
    NotFound,

    /// <summary>The message is the user's own: only replies are rated.</summary>
    NotAssistant,
}

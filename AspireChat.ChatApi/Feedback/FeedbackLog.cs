namespace AspireChat.ChatApi.Feedback;

/// <summary>Feedback's log lines (event ids 1600-1699; 1600 is the evaluation event, <see cref="EvaluationResult"/>).</summary>
internal static partial class FeedbackLog
{
    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "A rating was saved, but telling the conversation's other tabs failed; they show it on their next load.")]
    public static partial void NotPublished(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "The conversation store is unavailable; a rating was not saved.")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception);
}

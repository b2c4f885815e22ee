namespace AspireChat.ChatApi.Chat;

/// <summary>The chat turn's log lines (event ids 1000-1099).</summary>
internal static partial class ChatLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Warning, Message = "The model failed in conversation {ConversationId}.")]
    public static partial void ModelFailed(ILogger logger, Exception exception, string conversationId);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "The conversation store is unavailable; a message was refused.")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Writing a turn to history failed (attempt {Attempt}).")]
    public static partial void HistoryWriteFailed(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Conversation {ConversationId} no longer exists (deleted, or lost by the store) while its reply streamed; the turn was not saved.")]
    public static partial void ConversationGoneBeforeSave(ILogger logger, string conversationId);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "A chat turn failed unexpectedly.")]
    public static partial void TurnCrashed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Shutting down: {Count} replies still streaming; waiting up to {DrainTime} before saving them as partial.")]
    public static partial void DrainingReplies(ILogger logger, int count, TimeSpan drainTime);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Model: {Provider} ({Model}).")]
    public static partial void ModelSelected(ILogger logger, string provider, string model);
}

namespace AspireChat.ChatApi.Chat;

/// <summary>The reply broker's log lines (event ids 1200-1299).</summary>
internal static partial class ReplyLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Writing reply {MessageId} to Redis failed; retrying.")]
    public static partial void ReplyWriteFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Reply {MessageId} lost its lease to another reply.")]
    public static partial void LeaseLost(ILogger logger, string messageId);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Reply {MessageId} lost its producer after chunk {Seq}; ending it as interrupted.")]
    public static partial void FinalizingInterrupted(ILogger logger, string messageId, long seq);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "The stop channel cannot be subscribed yet; retrying.")]
    public static partial void StopChannelUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Sending a stop to other instances failed.")]
    public static partial void StopNotSent(ILogger logger, Exception exception);
}

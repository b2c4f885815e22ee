namespace AspireChat.ChatApi.Replies;

/// <summary>The log lines of replies beyond their node: leases, the broker, its publishers and watchers (event ids 1200-1299).</summary>
internal static partial class ReplyLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Writing reply {MessageId} to Redis failed; retrying.")]
    public static partial void ReplyWriteFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Reply {MessageId} lost its conversation's lease to another reply.")]
    public static partial void LeaseLost(ILogger logger, string messageId);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Reply {MessageId} lost its producer after chunk {Seq}; ending it as interrupted.")]
    public static partial void FinalizingInterrupted(ILogger logger, string messageId, long seq);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "The stop channel cannot be subscribed yet; retrying.")]
    public static partial void StopChannelUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Releasing the lease of reply {MessageId} failed; it lapses by itself.")]
    public static partial void LeaseNotReleased(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "Sending a stop to other instances failed.")]
    public static partial void StopNotSent(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Renewing the lease of reply {MessageId} failed; retrying.")]
    public static partial void LeaseNotRenewed(ILogger logger, Exception exception, string messageId);
}

namespace AspireChat.ChatApi.Conversations;

/// <summary>Says at start which conversation store is in use (the Redis connection string redacted).</summary>
internal sealed partial class ConversationStoreAnnouncement(ILogger<ConversationStoreAnnouncement> logger, string? redisConnection) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (redisConnection is null)
        {
            UsingMemory(logger);
        }
        else
        {
            UsingRedis(logger, redisConnection);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Conversation store: in memory (ConnectionStrings:cache is not set); history is lost on restart.")]
    private static partial void UsingMemory(ILogger logger);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Conversation store: Redis at {Connection}.")]
    private static partial void UsingRedis(ILogger logger, string connection);
}

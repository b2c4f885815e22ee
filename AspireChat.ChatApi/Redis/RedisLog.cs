namespace AspireChat.ChatApi.Redis;

/// <summary>The client's log lines. Connection strings appear only redacted; keys and values never.</summary>
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Connected to Redis at {Endpoint} (database {Database}, TLS {Tls}).")]
    public static partial void Connected(ILogger logger, RedisEndpoint endpoint, int database, bool tls);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Could not connect to Redis; next attempt in {RetryDelayMs} ms. {Reason}")]
    public static partial void ConnectFailed(ILogger logger, double retryDelayMs, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Connection to Redis at {Endpoint} lost: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, RedisEndpoint endpoint, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Redis connection string option '{Option}' is not used by this client and was ignored.")]
    public static partial void OptionIgnored(ILogger logger, string option);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Redis subscriber connected; {Count} channel(s) subscribed.")]
    public static partial void SubscriberConnected(ILogger logger, int count);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Redis subscriber disconnected; reconnecting in {RetryDelayMs} ms. {Reason}")]
    public static partial void SubscriberDisconnected(ILogger logger, double retryDelayMs, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error, Message = "A handler of Redis channel '{Channel}' threw.")]
    public static partial void HandlerFailed(ILogger logger, string channel, Exception exception);
}

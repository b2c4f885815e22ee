namespace AspireChat.Web.Telemetry;

internal static partial class Log
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Browser telemetry: the page's spans are relayed to {Traces}")]
    public static partial void RelayingTo(ILogger logger, Uri traces);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Browser telemetry is off: no BrowserTelemetry:Endpoint is configured")]
    public static partial void Off(ILogger logger);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "Browser telemetry: the collector answered {Status}; the page's batch is dropped")]
    public static partial void CollectorRefused(ILogger logger, int status);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "Browser telemetry: the collector could not be reached ({Reason}); the page's batch is dropped")]
    public static partial void CollectorUnreachable(ILogger logger, string reason);
}

namespace AspireChat.Web.Proxy;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Proxying /api and /ws to ChatApi at {Address}, resolved by service discovery")]
    public static partial void ProxyingTo(ILogger logger, string address);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Refused a WebSocket handshake from foreign origin {Origin}")]
    public static partial void ForeignOriginRefused(ILogger logger, string origin);
}

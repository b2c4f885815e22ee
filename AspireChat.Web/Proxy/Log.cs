namespace AspireChat.Web.Proxy;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Proxying /api and /ws to ChatApi at {Uri}")]
    public static partial void ProxyingTo(ILogger logger, Uri uri);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Refused a WebSocket handshake from foreign origin {Origin}")]
    public static partial void ForeignOriginRefused(ILogger logger, string origin);
}

namespace AspireChat.Web.Proxy;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "ChatApi at {Uri} is unreachable")]
    public static partial void ChatApiUnreachable(ILogger logger, Uri uri, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "ChatApi's response from {Uri} broke off mid-body")]
    public static partial void ChatApiResponseBroken(ILogger logger, Uri uri, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Refused a WebSocket handshake from foreign origin {Origin}")]
    public static partial void ForeignOriginRefused(ILogger logger, string origin);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "ChatApi's socket at {Uri} could not be opened; the browser is answered {StatusCode}")]
    public static partial void ChatApiSocketRefused(ILogger logger, Uri uri, int statusCode, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "A relayed socket ended without a close: {ExceptionType}: {Reason}")]
    public static partial void RelayEnded(ILogger logger, string exceptionType, string reason);
}

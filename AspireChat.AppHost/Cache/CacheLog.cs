using Microsoft.Extensions.Logging;

namespace AspireChat.AppHost.Cache;

internal static partial class CacheLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Redis runs as a redis-server process because {Reason}; its data is in {DataDirectory}.")]
    public static partial void RunsAsProcess(ILogger logger, string reason, string dataDirectory);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "The '{Name}' resource cannot start: {Reason}, and '{Command}' is not found. Start Docker or Podman, or install Redis (apt-get install redis-server).")]
    public static partial void CannotStart(ILogger logger, string name, string reason, string command);
}

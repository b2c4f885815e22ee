using Microsoft.Extensions.Logging;

namespace AspireChat.AppHost.Cache;

internal static partial class CacheLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Redis runs as a redis-server process because {Reason}; its data is in {DataDirectory}.")]
    public static partial void RunsAsProcess(ILogger logger, string reason, string dataDirectory);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "The '{Name}' resource cannot start: {Reason}, and '{Command}' is not found. Start Docker or Podman, or install Redis (apt-get install redis-server).")]
    public static partial void CannotStart(ILogger logger, string name, string reason, string command);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "No Redis here: {Reason}. ChatApi keeps history in memory, lost on restart. " + InMemoryCacheResource.InstallHint)]
    public static partial void InMemory(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Redis runs as a local cluster of {Count} redis-server processes on ports {Ports}; their data is in {DataDirectory}.")]
    public static partial void RunsAsCluster(ILogger logger, int count, string ports, string dataDirectory);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Formed a Redis Cluster of the nodes on ports {Ports}.")]
    public static partial void ClusterCreated(ILogger logger, string ports);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "The nodes on ports {Ports} are the cluster of a previous run; it serves again.")]
    public static partial void ClusterRejoined(ILogger logger, string ports);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "The local Redis Cluster did not come up: {Reason}")]
    public static partial void ClusterFailed(ILogger logger, string reason);
}

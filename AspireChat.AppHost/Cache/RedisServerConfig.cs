namespace AspireChat.AppHost.Cache;

/// <summary>The redis-server configuration file, written before each start: what holds the password stays unreadable to others.</summary>
internal static class RedisServerConfig
{
    public const string FileName = "redis.conf";

    public static async Task WriteAsync(string dataDirectory, string? password, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDirectory, FileName);
        string[] lines =
        [
            // Only this machine's services reach it (as the container's port is published on loopback only).
            "bind 127.0.0.1 -::1",
            $"requirepass {password}",
            // As WithDataVolume's persistence: a snapshot every 60 s when at least one key changed.
            "save 60 1",
            "appendonly no",
            $"dir \"{dataDirectory}\"",
        ];
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var writer = new StreamWriter(path, options);
        foreach (var line in lines)
        {
            await writer.WriteLineAsync(line.AsMemory(), cancellationToken);
        }
    }
}

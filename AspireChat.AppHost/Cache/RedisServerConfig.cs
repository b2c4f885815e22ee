namespace AspireChat.AppHost.Cache;

/// <summary>The redis-server configuration file, written before each start: what holds the password stays unreadable to others.</summary>
internal static class RedisServerConfig
{
    public const string FileName = "redis.conf";

    /// <param name="dataDirectory">Where the server keeps its data, and this file.</param>
    /// <param name="password">The default user's password.</param>
    /// <param name="clusterNode">A node of a Redis Cluster, which keeps its view of the cluster in <c>nodes.conf</c> beside its data.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    public static async Task WriteAsync(string dataDirectory, string? password, bool clusterNode, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDirectory, FileName);
        string[] cluster = clusterNode ? ["cluster-enabled yes", "cluster-config-file nodes.conf"] : [];
        string[] lines =
        [
            .. cluster,
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

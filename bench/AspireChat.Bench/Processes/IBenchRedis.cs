namespace AspireChat.Bench.Processes;

/// <summary>The Redis a Redis-backed run starts for ChatApi: one redis-server, or a local cluster of them.</summary>
internal interface IBenchRedis : IAsyncDisposable
{
    /// <summary>What ChatApi reads from <c>ConnectionStrings:cache</c>: every node, comma-separated.</summary>
    string ConnectionString { get; }

    /// <summary>Every redis-server process, to measure beside ChatApi.</summary>
    IReadOnlyList<int> ProcessIds { get; }

    /// <summary>Keys held over every node: to tell a Redis-backed run from one that silently stayed in memory.</summary>
    Task<long> KeyCountAsync(CancellationToken cancellationToken);
}

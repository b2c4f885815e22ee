namespace AspireChat.AppHost.Cache;

/// <summary>What runs the <c>cache</c> (<c>Cache:RunAs</c>); docs/aspire.md has the table.</summary>
internal enum CacheRunAs
{
    /// <summary>The container where a container runtime answers, else a <c>redis-server</c> process, else <see cref="InMemory"/>.</summary>
    Auto,

    /// <summary>Aspire's Redis container with its data volume; what is published.</summary>
    Container,

    /// <summary>One <c>redis-server</c> process.</summary>
    Process,

    /// <summary>A local Redis Cluster of <c>redis-server</c> processes, for developing against a sharded Redis.</summary>
    Cluster,

    /// <summary>No Redis: ChatApi keeps history in its memory.</summary>
    InMemory,
}

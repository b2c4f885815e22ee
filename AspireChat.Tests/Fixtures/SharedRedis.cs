namespace AspireChat.Tests.Fixtures;

/// <summary>
/// A Redis of each <see cref="RedisTopology"/> for the tests of a class (a class fixture), each started the first time a
/// test asks for it, so a class whose cluster cases are off never starts a cluster. Each test uses keys of its own.
/// </summary>
public sealed class SharedRedis : IAsyncDisposable
{
    private readonly Lazy<Task<RedisServer>> _server = new(() => RedisServer.StartAsync());
    private readonly Lazy<Task<RedisCluster>> _cluster = new(() => RedisCluster.StartAsync());

    /// <summary>The connection string of this class's Redis of <paramref name="topology"/>, started if need be.</summary>
    public async Task<string> ConnectionStringAsync(RedisTopology topology) => topology switch
    {
        RedisTopology.SingleNode => (await _server.Value).ConnectionString,
        RedisTopology.Cluster => (await _cluster.Value).ConnectionString,
        _ => throw new ArgumentOutOfRangeException(nameof(topology), topology, null),
    };

    public async ValueTask DisposeAsync()
    {
        if (_server.IsValueCreated && _server.Value.IsCompletedSuccessfully)
        {
            await _server.Value.Result.DisposeAsync();
        }

        if (_cluster.IsValueCreated && _cluster.Value.IsCompletedSuccessfully)
        {
            await _cluster.Value.Result.DisposeAsync();
        }
    }
}

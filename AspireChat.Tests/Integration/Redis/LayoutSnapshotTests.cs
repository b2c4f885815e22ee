using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// Tests on an earlier release's snapshot (<see cref="LayoutSnapshot"/>) in a node or a cluster: the connections a test
/// opens, closed after it, the first of them the one the snapshot was restored through.
/// </summary>
public abstract class LayoutSnapshotTests(SharedRedis redis, string commit) : IClassFixture<SharedRedis>, IAsyncDisposable
{
    private readonly List<ConnectionMultiplexer> _clients = [];

    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>The connection the snapshot was restored through (<see cref="LoadAsync"/>).</summary>
    protected ConnectionMultiplexer Client => _clients[0];

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Another connection, as another ChatApi instance has.</summary>
    protected async Task<ConnectionMultiplexer> ConnectAsync(RedisTopology topology)
    {
        var client = TestRedis.Connect(await redis.ConnectionStringAsync(topology));
        _clients.Add(client);
        return client;
    }

    /// <summary>The snapshot, restored into the topology's Redis through a new connection: <see cref="Client"/>.</summary>
    protected async Task<LayoutSnapshot> LoadAsync(RedisTopology topology)
    {
        var client = TestRedis.Connect(await redis.ConnectionStringAsync(topology));
        _clients.Insert(0, client);
        return await LayoutSnapshot.RestoreAsync(commit, client.GetDatabase(), Token);
    }

    protected static RedisConversationStore Store(IConnectionMultiplexer client) => new(client, Options.Create(new ConversationOptions()), TimeProvider.System);
}

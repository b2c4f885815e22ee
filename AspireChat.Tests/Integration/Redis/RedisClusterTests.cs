using System.Net;
using AspireChat.Tests.Fixtures;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// The local Redis Cluster fixture itself: it forms, StackExchange.Redis works on the connection string it gives, a
/// killed master's replica takes over, and a client without the password is refused. Each test has a cluster of its
/// own: one kills a node.
/// </summary>
public sealed class RedisClusterTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheClusterFormsWithThreeMastersEachWithOneReplicaAndEverySlotServed()
    {
        await using var cluster = await RedisCluster.StartAsync(cancellationToken: Token);
        TestContext.Current.TestOutputHelper?.WriteLine($"Formed in {cluster.FormedIn.TotalSeconds:0.0} s.");

        var topology = await cluster.TopologyAsync(Token);

        var masters = topology.Where(n => n.IsMaster).ToList();
        var replicas = topology.Where(n => n.IsReplica).ToList();
        Assert.Equal(RedisCluster.MasterCount, masters.Count);
        Assert.Equal(RedisCluster.SlotCount, masters.Sum(m => m.Slots.Sum(r => r.To - r.From + 1)));
        Assert.All(Enumerable.Range(0, RedisCluster.SlotCount), slot => Assert.Single(masters, m => m.Holds(slot)));
        Assert.Equal(masters.Select(m => m.Id).Order(), replicas.Select(r => r.MasterId!).Order());
        Assert.All(topology, n => Assert.False(n.IsFailing, $"{n.Port} is {n.Flags}."));
        Assert.Equal(cluster.Nodes.Select(n => n.Port).Order(), topology.Select(n => n.Port).Order());
    }

    [Fact]
    public async Task AMultiplexerOnTheNodesAndThePasswordWritesAndReadsKeysOnEveryMaster()
    {
        await using var cluster = await RedisCluster.StartAsync(cancellationToken: Token);
        await using var redis = TestRedis.Connect(cluster.ConnectionString);
        var database = redis.GetDatabase();
        var keys = Enumerable.Range(0, 300).Select(i => TestRedis.Key($"k{i}")).ToList();

        await Task.WhenAll(keys.Select(key => database.StringSetAsync(key, $"value of {key}")));
        var read = await Task.WhenAll(keys.Select(key => database.StringGetAsync(key)));

        Assert.Equal(keys.Select(key => $"value of {key}"), read.Select(v => (string?)v));
        var masters = (await cluster.TopologyAsync(Token)).Where(n => n.IsMaster).ToList();
        var keysPerMaster = keys.GroupBy(key => masters.Single(m => m.Holds(redis.HashSlot(key))).Port).ToList();
        Assert.Equal(RedisCluster.MasterCount, keysPerMaster.Count);
        Assert.All(redis.GetServers(), server => Assert.Equal(ServerType.Cluster, server.ServerType));
        // Each key is on the master of its slot, not merely somewhere the client could find it.
        foreach (var group in keysPerMaster)
        {
            await using var node = TestRedis.Connect($"127.0.0.1:{group.Key},password={cluster.Password}");
            var server = node.GetServer(IPAddress.Loopback, group.Key);
            Assert.Equal(group.Count(), await server.DatabaseSizeAsync());
        }
    }

    [Fact]
    public async Task KillingTheMasterOfAKeyPromotesItsReplicaAndTheKeyStaysReadable()
    {
        await using var cluster = await RedisCluster.StartAsync(cancellationToken: Token);
        await using var redis = TestRedis.Connect(cluster.ConnectionString);
        var key = TestRedis.Key("survivor");
        await redis.GetDatabase().StringSetAsync(key, "still here");
        var before = await cluster.TopologyAsync(Token);
        var master = before.Single(n => n.IsMaster && n.Holds(redis.HashSlot(key)));
        var replica = before.Single(n => n.MasterId == master.Id);
        // Replication is asynchronous: the write must have reached the replica before the master dies.
        var replicated = await redis.GetServer(IPAddress.Loopback, master.Port).ExecuteAsync("WAIT", 1, 5000);
        Assert.Equal(1, (int)replicated);

        var failover = await cluster.KillMasterOfAsync(key, Token);
        TestContext.Current.TestOutputHelper?.WriteLine($"Failover in {failover.Took.TotalSeconds:0.0} s (node timeout {cluster.NodeTimeout.TotalSeconds:0.0} s).");

        Assert.Equal(master.Port, failover.Killed.Port);
        Assert.False(failover.Killed.IsRunning);
        Assert.Equal(replica.Port, failover.Promoted.Port);
        Assert.Equal(redis.HashSlot(key), failover.Slot);
        Assert.Equal("still here", (string?)await TestRedis.EventuallyAsync(() => redis.GetDatabase().StringGetAsync(key), TimeSpan.FromSeconds(30)));

        // The killed master comes back as its former replica's replica, and the key is still there.
        await cluster.RestartAsync(failover.Killed, Token);
        var after = await cluster.TopologyAsync(Token);
        var promoted = after.Single(n => n.Port == replica.Port);
        var restarted = after.Single(n => n.Port == master.Port);
        Assert.True(promoted.IsMaster && promoted.Holds(failover.Slot), $"{promoted.Port} is {promoted.Flags} with slots {promoted.SlotsText}.");
        Assert.True(restarted.IsReplica, $"{restarted.Port} is {restarted.Flags}.");
        Assert.Equal(promoted.Id, restarted.MasterId);
        Assert.Equal("still here", (string?)await TestRedis.EventuallyAsync(() => redis.GetDatabase().StringGetAsync(key), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task AClientWithoutThePasswordIsRefusedWithNoAuth()
    {
        await using var cluster = await RedisCluster.StartAsync(cancellationToken: Token);
        await using var redis = TestRedis.Connect(cluster.ConnectionStringWithoutPassword);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.GetDatabase().StringGetAsync(TestRedis.Key("locked")));

        Assert.Equal(ConnectionFailureType.AuthenticationFailure, error.FailureType);
        Assert.Contains("NOAUTH", error.ToString(), StringComparison.Ordinal);
    }
}

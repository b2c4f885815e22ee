using AspireChat.Bench.Processes;
using AspireChat.Tests.Integration.Redis;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Bench;

/// <summary>The benchmark's <c>cluster</c> store: three masters that ChatApi's connection string reaches, gone when disposed.</summary>
public sealed class RedisClusterProcessTests
{
    [Fact]
    public async Task ThreeMastersServeEverySlotForAClientOnTheConnectionStringAndLeaveNothingBehind()
    {
        var token = TestContext.Current.CancellationToken;
        var cluster = await RedisClusterProcess.StartAsync([0], token);
        var processIds = cluster.ProcessIds;
        try
        {
            await using var client = TestRedis.Connect(cluster.ConnectionString);
            var keys = Enumerable.Range(0, 100).Select(i => TestRedis.Key($"k{i}")).ToList();

            await Task.WhenAll(keys.Select(key => client.GetDatabase().StringSetAsync(key, "v")));

            Assert.Equal(RedisClusterProcess.MasterCount, cluster.ConnectionString.Split(',').Length);
            Assert.Equal(RedisClusterProcess.MasterCount, client.GetServers().Count(s => s.ServerType == ServerType.Cluster && !s.IsReplica));
            Assert.Equal(RedisClusterProcess.MasterCount, keys.Select(key => client.GetDatabase().IdentifyEndpoint(key)).Distinct().Count());
            Assert.Equal(keys.Count, await cluster.KeyCountAsync(token));
            Assert.All(processIds, id => Assert.Equal([0], CpuAffinity.Allowed(id)));
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        Assert.Equal(RedisClusterProcess.MasterCount, processIds.Count);
        Assert.All(processIds, id => Assert.False(Directory.Exists($"/proc/{id}"), $"redis-server {id} still runs."));
        Assert.False(Directory.Exists(cluster.DataDirectory), $"{cluster.DataDirectory} is left behind.");
    }
}

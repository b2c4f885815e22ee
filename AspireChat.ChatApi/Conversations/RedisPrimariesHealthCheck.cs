using System.Net;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Conversations;

/// <summary>
/// /health's Redis check, for one node and for a cluster alike, with no admin command: every primary the multiplexer
/// sends keys to answers a PING, and on a cluster every slot has one; else Unhealthy, naming the node and the reason.
/// It replaces the check Aspire's <c>AddRedisClient</c> registers (AspNetCore.HealthChecks.Redis), which asks a
/// cluster node for <c>CLUSTER INFO</c>: StackExchange.Redis refuses that without <c>allowAdmin</c>, so a cluster was
/// always Unhealthy.
/// </summary>
internal sealed class RedisPrimariesHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public const string Name = "redis";

    private const int ClusterSlots = 16384;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (primaries, unserved) = FindPrimaries();
        if (unserved > 0)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{unserved} of {ClusterSlots} Redis Cluster slots have no primary.");
        }

        // All at once. A PING to a node the multiplexer is reconnecting to waits in its backlog, which StackExchange.Redis
        // times out after syncTimeout (not asyncTimeout): 5 s by default.
        var failures = await Task.WhenAll(primaries.Select(async endPoint =>
        {
            try
            {
                await redis.GetServer(endPoint).PingAsync().WaitAsync(cancellationToken);
                return (HealthCheckResult?)null;
            }
            catch (Exception exception) when (exception is RedisException or RedisTimeoutException)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"Redis {Format(endPoint)} did not answer PING: {exception.Message}", exception);
            }
        }));
        return failures.FirstOrDefault(failure => failure is not null)
            ?? HealthCheckResult.Healthy($"{primaries.Count} Redis primar{(primaries.Count == 1 ? "y" : "ies")} answered PING.");
    }

    /// <summary>
    /// The primaries as the multiplexer knows them, and how many slots none of them holds. On a cluster: the masters
    /// that hold slots in the topology a connected node last gave it. The multiplexer asks for that topology again
    /// whenever a connection fails or a command is redirected (MOVED), so a replica promoted after a failover is found
    /// within a reconnect attempt. On a single node: the configured server.
    /// </summary>
    private (IReadOnlyList<EndPoint> Primaries, int Unserved) FindPrimaries()
    {
        var servers = redis.GetServers();
        var topology = servers
            .Where(server => server.IsConnected && server.ServerType == ServerType.Cluster)
            .Select(server => server.ClusterConfiguration)
            .FirstOrDefault(configuration => configuration is not null);
        if (topology is null)
        {
            // A single node, or a cluster none of whose nodes is connected: each endpoint answers for itself.
            return ([.. servers.Where(server => !server.IsReplica).Select(server => server.EndPoint)], 0);
        }

        // A node without an address (noaddr) cannot be reached, so it cannot serve its slots either.
        var owners = topology.Nodes.Where(node => !node.IsReplica && node.Slots.Count > 0 && node.EndPoint is not null).ToList();
        var served = owners.Sum(node => node.Slots.Sum(range => range.To - range.From + 1));
        return ([.. owners.Select(node => node.EndPoint!)], ClusterSlots - served);
    }

    private static string Format(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "?",
    };
}

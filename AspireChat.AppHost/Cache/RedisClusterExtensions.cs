using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace AspireChat.AppHost.Cache;

/// <summary>
/// <c>Cache:RunAs=Cluster</c>: a local Redis Cluster of three <c>redis-server</c> masters on loopback, without replicas.
/// Three masters is the smallest cluster <c>redis-cli --cluster create</c> makes, and enough to develop against what
/// production runs: keys spread over three nodes, so a command or script that touches keys of two slots fails here as
/// it would on Azure Managed Redis. Replicas would add failover, which the tests cover (RedisCluster fixture), and
/// three more processes. The nodes listen on fixed ports (<c>Cache:ClusterPort</c>, default 7001, and the two after
/// it; each node's cluster bus on its port + 10000), because a cluster remembers its members by address: with fixed
/// ports, the nodes started by the next run find one another again, with their data (snapshots every 60 s, as the
/// process).
/// </summary>
internal static class RedisClusterExtensions
{
    private const int NodeCount = 3;
    private const int ClusterSlots = 16384;
    private static readonly TimeSpan FormTimeout = TimeSpan.FromSeconds(60);

    public static IResourceBuilder<RedisClusterResource> AddRedisCluster(this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        var firstPort = builder.Configuration.GetValue("Cache:ClusterPort", 7001);
        var ports = Enumerable.Range(firstPort, NodeCount).ToList();
        var portList = string.Join(", ", ports);
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var command = builder.Configuration["Cache:RedisServer"] ?? "redis-server";
        // redis-cli comes with redis-server (Debian's redis-tools); beside a redis-server named by path, it is looked for there.
        var cliCommand = Path.GetDirectoryName(command) is { Length: > 0 } directory ? Path.Combine(directory, "redis-cli") : "redis-cli";
        var cluster = builder.AddResource(new RedisClusterResource(name, ports, password))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "RedisCluster",
                State = KnownResourceStates.NotStarted,
                Properties = [new("nodes", portList), new("data", dataDirectory)],
            })
            .ExcludeFromManifest();

        foreach (var port in ports)
        {
            var nodeDirectory = Path.Combine(dataDirectory, $"cluster-{port}");
            Directory.CreateDirectory(nodeDirectory);
            var node = new RedisServerResource($"{name}-{port}", command, nodeDirectory, password);
            builder.AddResource(node)
                // Not proxied: a node tells clients its own address (MOVED, CLUSTER SLOTS), which must be the one they reach.
                .WithEndpoint(RedisServerResource.PrimaryEndpointName, endpoint =>
                {
                    endpoint.UriScheme = "tcp";
                    endpoint.Port = port;
                    endpoint.TargetPort = port;
                    endpoint.IsProxied = false;
                })
                .WithArgs(Path.Combine(nodeDirectory, RedisServerConfig.FileName), "--port", port.ToString(CultureInfo.InvariantCulture))
                .WithParentRelationship(cluster)
                .ExcludeFromManifest()
                .OnBeforeResourceStarted(async (_, _, cancellationToken) =>
                    await RedisServerConfig.WriteAsync(nodeDirectory, await password.GetValueAsync(cancellationToken), clusterNode: true, cancellationToken));
        }

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey,
            _ => new ClusterHealthCheck(cliCommand, password, ports),
            failureStatus: null,
            tags: null));

        builder.Eventing.Subscribe<BeforeStartEvent>((started, _) =>
        {
            CacheLog.RunsAsCluster(started.Services.GetRequiredService<ILogger<RedisClusterResource>>(), NodeCount, portList, dataDirectory);
            return Task.CompletedTask;
        });

        return cluster
            .WithHealthCheck(healthCheckKey)
            .OnInitializeResource(async (resource, initialize, cancellationToken) =>
            {
                // The nodes are executables, started by DCP; the cluster is formed once every one of them runs.
                await initialize.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Waiting });
                foreach (var port in ports)
                {
                    var state = await initialize.Notifications.WaitForResourceAsync(
                        $"{name}-{port}",
                        [KnownResourceStates.Running, KnownResourceStates.FailedToStart, KnownResourceStates.Exited, KnownResourceStates.Finished],
                        cancellationToken);
                    if (state != KnownResourceStates.Running)
                    {
                        await FailAsync($"the node on port {port} is {state} (its own log says why)");
                        return;
                    }
                }

                await initialize.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Starting });
                try
                {
                    var cli = new RedisCli(cliCommand, (await password.GetValueAsync(cancellationToken))!);
                    var created = await FormAsync(cli, ports, cancellationToken);
                    if (created)
                    {
                        CacheLog.ClusterCreated(initialize.Logger, portList);
                    }
                    else
                    {
                        CacheLog.ClusterRejoined(initialize.Logger, portList);
                    }

                    await initialize.Notifications.PublishUpdateAsync(resource, s => s with
                    {
                        State = KnownResourceStates.Running,
                        StartTimeStamp = DateTime.UtcNow,
                    });
                }
                catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
                {
                    await FailAsync(exception.Message);
                }

                async Task FailAsync(string reason)
                {
                    CacheLog.ClusterFailed(initialize.Logger, reason);
                    await initialize.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.FailedToStart });
                }
            });
    }

    /// <summary>
    /// Forms the cluster of the nodes on <paramref name="ports"/> when they are new (no slot assigned, each knowing only
    /// itself), or finds the cluster of a previous run; then waits until every node serves. True when it was formed now.
    /// </summary>
    private static async Task<bool> FormAsync(RedisCli cli, List<int> ports, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(FormTimeout);
        try
        {
            var infos = new List<IReadOnlyDictionary<string, string>>();
            foreach (var port in ports)
            {
                // A node DCP reports Running may not accept connections yet.
                infos.Add(await RetryAsync(() => cli.ClusterInfoAsync(port, deadline.Token), deadline.Token));
            }

            var created = false;
            if (infos.All(info => info.GetValueOrDefault("cluster_slots_assigned") == "0" && info.GetValueOrDefault("cluster_known_nodes") == "1"))
            {
                await cli.RunAsync(["--cluster", "create", .. ports.Select(port => $"127.0.0.1:{port}"), "--cluster-replicas", "0", "--cluster-yes"], deadline.Token);
                created = true;
            }
            else if (!infos.All(info => info.GetValueOrDefault("cluster_known_nodes") == $"{ports.Count}"))
            {
                throw new InvalidOperationException(
                    $"the nodes on ports {string.Join(", ", ports)} hold parts of different clusters (their data directories are of other runs); stop the AppHost and delete the cluster-* folders of Cache:DataDirectory to start over");
            }

            while (!(await Task.WhenAll(ports.Select(port => cli.ClusterInfoAsync(port, deadline.Token))))
                .All(info => info.GetValueOrDefault("cluster_state") == "ok" && info.GetValueOrDefault("cluster_slots_ok") == $"{ClusterSlots}"))
            {
                await Task.Delay(200, deadline.Token);
            }

            return created;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the nodes on ports {string.Join(", ", ports)} did not serve every slot within {FormTimeout.TotalSeconds:0} s");
        }
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return await action();
            }
            catch (InvalidOperationException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    /// <summary>Healthy when every node says the cluster serves every slot (<c>CLUSTER INFO</c>, through redis-cli).</summary>
    private sealed class ClusterHealthCheck(string cliCommand, ParameterResource password, IReadOnlyList<int> ports) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var cli = new RedisCli(cliCommand, (await password.GetValueAsync(cancellationToken))!);
            foreach (var port in ports)
            {
                try
                {
                    var info = await cli.ClusterInfoAsync(port, cancellationToken);
                    if (info.GetValueOrDefault("cluster_state") != "ok")
                    {
                        return HealthCheckResult.Unhealthy($"The node on port {port} reports cluster_state:{info.GetValueOrDefault("cluster_state")}.");
                    }
                }
                catch (InvalidOperationException exception)
                {
                    return HealthCheckResult.Unhealthy($"The node on port {port} does not answer: {exception.Message}");
                }
            }

            return HealthCheckResult.Healthy();
        }
    }
}

using System.Diagnostics;
using System.Globalization;

namespace AspireChat.Bench.Processes;

/// <summary>
/// A throw-away local Redis Cluster of three masters and no replicas: three <see cref="RedisProcess"/>es with cluster
/// mode on and persistence off, on the cores one redis-server gets, formed with <c>redis-cli --cluster create</c>.
/// What a sharded managed Redis gives ChatApi (its keys spread over three nodes by slot), without a failover to wait
/// for: a node that stalls under load is not failed over (the default 15 s node timeout).
/// </summary>
internal sealed class RedisClusterProcess : IBenchRedis
{
    public const int MasterCount = 3;
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    private readonly List<RedisProcess> _nodes = [];
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("aspirechat-bench-cluster-");

    private RedisClusterProcess()
    {
    }

    public string ConnectionString => string.Join(",", _nodes.Select(n => n.ConnectionString));

    public IReadOnlyList<int> ProcessIds => [.. _nodes.Select(n => n.Id)];

    /// <summary>The nodes' working directory (their <c>nodes.conf</c>), deleted on dispose.</summary>
    public string DataDirectory => _directory.FullName;

    public static async Task<RedisClusterProcess> StartAsync(IReadOnlyList<int>? cores, CancellationToken cancellationToken)
    {
        if (!File.Exists(RedisCli.Executable))
        {
            throw new InvalidOperationException($"{RedisCli.Executable} is missing: the cluster store forms its cluster with it (apt-get install redis-server brings redis-tools).");
        }

        var cluster = new RedisClusterProcess();
        try
        {
            foreach (var port in FreePort.ClusterNodes(MasterCount))
            {
                // Each node's nodes.conf in the cluster's own directory, deleted with it.
                cluster._nodes.Add(await RedisProcess.StartAsync(
                    port,
                    ["--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(cluster._directory.FullName, $"nodes-{port}.conf"), "--dir", cluster._directory.FullName],
                    cores,
                    cancellationToken));
            }

            await CliAsync(["--cluster", "create", .. cluster._nodes.Select(n => n.ConnectionString), "--cluster-replicas", "0", "--cluster-yes"], cancellationToken);
            await cluster.WaitUntilServedAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public async Task<long> KeyCountAsync(CancellationToken cancellationToken)
    {
        var counts = await Task.WhenAll(_nodes.Select(n => n.KeyCountAsync(cancellationToken)));
        return counts.Sum();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _directory.Delete(recursive: true);
    }

    /// <summary>Until every node says <c>cluster_state:ok</c> with all 16384 slots served: ChatApi's first command then lands.</summary>
    private async Task WaitUntilServedAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < SettleTimeout)
        {
            var infos = await Task.WhenAll(_nodes.Select(n => CliAsync(["-p", n.Port.ToString(CultureInfo.InvariantCulture), "CLUSTER", "INFO"], cancellationToken)));
            if (infos.All(info => info.Contains("cluster_state:ok", StringComparison.Ordinal) && info.Contains("cluster_slots_ok:16384", StringComparison.Ordinal)))
            {
                return;
            }

            last = infos.First(info => !info.Contains("cluster_state:ok", StringComparison.Ordinal) || !info.Contains("cluster_slots_ok:16384", StringComparison.Ordinal));
            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"The local Redis Cluster did not serve every slot within {SettleTimeout.TotalSeconds:0} s; a node said:{Environment.NewLine}{last}");
    }

    private static Task<string> CliAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RedisCli.RunAsync(arguments, password: null, cancellationToken);
}

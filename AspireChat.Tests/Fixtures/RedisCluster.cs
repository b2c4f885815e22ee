using System.Diagnostics;
using System.Globalization;

using AspireChat.Bench.Processes;

namespace AspireChat.Tests.Fixtures;

/// <summary>
/// A local Redis Cluster, as production runs it when one node is not enough (Azure Managed Redis, ElastiCache): real
/// <c>redis-server</c> processes (<see cref="RedisServer"/> in cluster mode) on loopback, 3 masters each with one
/// replica, a password (<c>requirepass</c>, and <c>masterauth</c> for the replicas), a short
/// <c>cluster-node-timeout</c> so a failover takes seconds, and a fresh data directory per node, deleted at the end.
/// It is formed with <c>redis-cli --cluster create</c>, and every wait reads the nodes' own view through
/// <c>redis-cli</c>, never through the client under test. It can kill the master of a key and wait for its replica
/// to take over, and start a node again.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    public const string Cli = RedisCli.Executable;

    /// <summary>Every key hashes to one of these (CRC16 mod 16384).</summary>
    public const int SlotCount = 16384;

    public const int MasterCount = 3;

    /// <summary>
    /// A node counts as failed after a second without an answer: with the replicas' election, a failover takes about
    /// 2 to 3 s here. Shorter would let a stalled test machine fail a healthy node over.
    /// </summary>
    public static readonly TimeSpan DefaultNodeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Long enough for a machine under load; a settled cluster is seen in a few seconds.</summary>
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A node's cluster bus listens on its port + 10000: both must be free, and below the ephemeral range.</summary>
    private const int BusPortOffset = 10_000;

    private readonly List<RedisServer> _nodes = [];

    private RedisCluster(string password, TimeSpan nodeTimeout)
    {
        Password = password;
        NodeTimeout = nodeTimeout;
    }

    /// <summary>Every node's password (the default user's, as on a managed Redis).</summary>
    public string Password { get; }

    public TimeSpan NodeTimeout { get; }

    /// <summary>The six nodes, masters first as <c>redis-cli --cluster create</c> was given them; roles change on failover.</summary>
    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary>From the first process's start until every node agreed that every slot is served: for the docs.</summary>
    public TimeSpan FormedIn { get; private set; }

    /// <summary>StackExchange.Redis's form, as a managed Redis gives it: every node, and the password.</summary>
    public string ConnectionString => NodeList(withPassword: true);

    /// <summary>The same nodes without the password, for the tests of what a client without one gets.</summary>
    public string ConnectionStringWithoutPassword => NodeList(withPassword: false);

    public static async Task<RedisCluster> StartAsync(TimeSpan? nodeTimeout = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Cli))
        {
            throw new InvalidOperationException(
                $"{Cli} is missing. The cluster tests form a Redis Cluster with it: install Debian's redis-server package, which brings redis-tools (apt-get install redis-server; ./test.sh does).");
        }

        var cluster = new RedisCluster(Guid.NewGuid().ToString("N"), nodeTimeout ?? DefaultNodeTimeout);
        try
        {
            var clock = Stopwatch.StartNew();
            var options = new RedisServerOptions { Password = cluster.Password, ClusterNodeTimeout = cluster.NodeTimeout };
            foreach (var port in FreeNodePorts(MasterCount * 2))
            {
                cluster._nodes.Add(await RedisServer.StartAsync(options, port));
            }

            // Masters are the first three; each of the other three replicates one of them.
            await cluster.CliAsync(
                ["--cluster", "create", .. cluster._nodes.Select(n => $"127.0.0.1:{n.Port}"), "--cluster-replicas", "1", "--cluster-yes"],
                cancellationToken);
            await cluster.WaitUntilSettledAsync(cancellationToken);
            cluster.FormedIn = clock.Elapsed;
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The slot a key hashes to, as the cluster computes it (its hash tag honoured).</summary>
    public async Task<int> SlotOfAsync(string key, CancellationToken cancellationToken = default) =>
        int.Parse((await CliAsync(RunningNodes()[0], ["CLUSTER", "KEYSLOT", key], cancellationToken)).Trim(), CultureInfo.InvariantCulture);

    /// <summary>The cluster as one of its running nodes sees it (<c>CLUSTER NODES</c>).</summary>
    public async Task<IReadOnlyList<RedisClusterNode>> TopologyAsync(CancellationToken cancellationToken = default) =>
        RedisClusterNode.Parse(await CliAsync(RunningNodes()[0], ["CLUSTER", "NODES"], cancellationToken));

    /// <summary>The node that serves <paramref name="slot"/> now.</summary>
    public async Task<RedisServer> MasterOfAsync(int slot, CancellationToken cancellationToken = default)
    {
        var master = (await TopologyAsync(cancellationToken)).Single(n => n.IsMaster && !n.IsFailing && n.Holds(slot));
        return _nodes.Single(n => n.Port == master.Port);
    }

    /// <summary>
    /// SIGKILL to the master that holds <paramref name="key"/>'s slot, as in a crash, then waits until its replica has
    /// taken the slots over and every running node agrees (<c>cluster_state:ok</c>, every slot served by a live master).
    /// </summary>
    public async Task<RedisFailover> KillMasterOfAsync(string key, CancellationToken cancellationToken = default)
    {
        var slot = await SlotOfAsync(key, cancellationToken);
        var topology = await TopologyAsync(cancellationToken);
        var master = topology.Single(n => n.IsMaster && !n.IsFailing && n.Holds(slot));
        var killed = _nodes.Single(n => n.Port == master.Port);

        var clock = Stopwatch.StartNew();
        await killed.KillAsync();
        // Settled means every slot is held by a running master: the killed one holds none any more.
        await WaitUntilSettledAsync(cancellationToken);
        var took = clock.Elapsed;

        var promoted = await MasterOfAsync(slot, cancellationToken);
        return new RedisFailover(slot, killed, promoted, took);
    }

    /// <summary>
    /// Starts a node that was killed again, on its port and with its <c>nodes.conf</c>, and waits until it has rejoined:
    /// a former master whose replica took over comes back as that replica's replica, empty, and syncs from it.
    /// </summary>
    public async Task RestartAsync(RedisServer node, CancellationToken cancellationToken = default)
    {
        if (!_nodes.Contains(node))
        {
            throw new ArgumentException($"Port {node.Port} is not a node of this cluster.", nameof(node));
        }

        await node.StartAsync();
        await WaitUntilSettledAsync(cancellationToken);
    }

    /// <summary>
    /// Waits until the running nodes agree: each knows all six, reports <c>cluster_state:ok</c> with every slot
    /// served, sees the same masters holding the same slots, all of them running and none flagged failing, and the
    /// same running node replicating the same master; and every running replica's link to its master is up. Fails with
    /// the last thing that was not so.
    /// </summary>
    public async Task WaitUntilSettledAsync(CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        var why = "not checked yet";
        while (deadline.Elapsed < SettleTimeout)
        {
            why = await WhyNotSettledAsync(cancellationToken);
            if (why is null)
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException(
            $"The cluster did not settle within {SettleTimeout.TotalSeconds:0} s: {why}.{Environment.NewLine}{string.Join(Environment.NewLine, _nodes.Select(n => $"--- node {n.Port} ---{Environment.NewLine}{n.Output}"))}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private async Task<string?> WhyNotSettledAsync(CancellationToken cancellationToken)
    {
        var running = RunningNodes();
        var runningPorts = running.Select(n => n.Port).ToHashSet();
        string? agreedOwners = null;
        string? agreedRoles = null;
        foreach (var node in running)
        {
            var info = KeyValues(await CliAsync(node, ["CLUSTER", "INFO"], cancellationToken));
            if (info.GetValueOrDefault("cluster_state") != "ok" || info.GetValueOrDefault("cluster_slots_ok") != $"{SlotCount}")
            {
                return $"node {node.Port} reports cluster_state:{info.GetValueOrDefault("cluster_state")} with {info.GetValueOrDefault("cluster_slots_ok")} slots ok";
            }

            if (info.GetValueOrDefault("cluster_known_nodes") != $"{_nodes.Count}")
            {
                return $"node {node.Port} knows {info.GetValueOrDefault("cluster_known_nodes")} nodes of {_nodes.Count}";
            }

            var view = RedisClusterNode.Parse(await CliAsync(node, ["CLUSTER", "NODES"], cancellationToken));
            var owners = view.Where(n => n.IsMaster && n.Slots.Count > 0).ToList();
            if (owners.FirstOrDefault(n => !runningPorts.Contains(n.Port) || n.IsFailing) is { } gone)
            {
                return $"node {node.Port} sees slots {gone.SlotsText} on {gone.Port}, which is {(runningPorts.Contains(gone.Port) ? "flagged failing" : "not running")}";
            }

            if (view.FirstOrDefault(n => runningPorts.Contains(n.Port) && (n.IsFailing || !n.IsConnected)) is { } flagged)
            {
                return $"node {node.Port} sees running node {flagged.Port} as {flagged.Flags} ({(flagged.IsConnected ? "connected" : "disconnected")})";
            }

            var ownersText = string.Join(" ", owners.OrderBy(n => n.Port).Select(n => $"{n.Port}:{n.SlotsText}"));
            if (agreedOwners is not null && ownersText != agreedOwners)
            {
                return $"node {node.Port} sees the slots on {ownersText}, another node on {agreedOwners}";
            }

            agreedOwners = ownersText;
            // A former master that rejoins learns its demotion first and tells the others by gossip: until then they
            // still see it as a master (with no slots), which the slot owners above do not show.
            var rolesText = string.Join(" ", view.Where(n => runningPorts.Contains(n.Port)).OrderBy(n => n.Port).Select(n => n.IsReplica ? $"{n.Port}->{n.MasterId}" : $"{n.Port}:master"));
            if (agreedRoles is not null && rolesText != agreedRoles)
            {
                return $"node {node.Port} sees the roles {rolesText}, another node {agreedRoles}";
            }

            agreedRoles = rolesText;
            if (view.Single(n => n.IsMyself).IsReplica)
            {
                var replication = KeyValues(await CliAsync(node, ["INFO", "replication"], cancellationToken));
                if (replication.GetValueOrDefault("master_link_status") != "up")
                {
                    return $"replica {node.Port}'s link to its master is {replication.GetValueOrDefault("master_link_status")}";
                }
            }
        }

        return null;
    }

    private List<RedisServer> RunningNodes() => _nodes.Where(n => n.IsRunning).ToList() is { Count: > 0 } running
        ? running
        : throw new InvalidOperationException("No node of the cluster is running.");

    private Task<string> CliAsync(RedisServer node, IEnumerable<string> command, CancellationToken cancellationToken) =>
        CliAsync(["-h", "127.0.0.1", "-p", node.Port.ToString(CultureInfo.InvariantCulture), .. command], cancellationToken);

    private Task<string> CliAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RedisCli.RunAsync(arguments, Password, cancellationToken);

    private string NodeList(bool withPassword) =>
        string.Join(",", _nodes.Select(n => $"127.0.0.1:{n.Port}")) + (withPassword ? $",password={Password}" : "");

    private static Dictionary<string, string> KeyValues(string text) => text
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(line => line.Split(':', 2))
        .Where(pair => pair.Length == 2)
        .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);

    /// <summary>
    /// Ports for <paramref name="count"/> cluster nodes, each free with its bus port (+10000) free too, consecutive if
    /// asked (the AppHost's local cluster takes a first port and the ones after it). They are taken from 20000–22767,
    /// so the bus ports (30000–32767) stay below Linux's ephemeral range, where a client connection could take one first.
    /// </summary>
    public static List<int> FreeNodePorts(int count, bool consecutive = false)
    {
        for (var attempt = 0; attempt < 1_000; attempt++)
        {
            var ports = consecutive
                ? Enumerable.Range(Random.Shared.Next(20_000, 32_768 - BusPortOffset - count), count).ToList()
                : Enumerable.Range(0, count).Select(_ => Random.Shared.Next(20_000, 32_768 - BusPortOffset)).Distinct().ToList();
            if (ports.Count == count && ports.All(port => FreePort.IsFree(port) && FreePort.IsFree(port + BusPortOffset)))
            {
                return ports;
            }
        }

        throw new InvalidOperationException($"Found no {count} free port pairs for cluster nodes.");
    }
}

/// <summary>What a node killed by <see cref="RedisCluster.KillMasterOfAsync"/> left behind.</summary>
/// <param name="Slot">The key's slot.</param>
/// <param name="Killed">The master that was killed (not running).</param>
/// <param name="Promoted">Its replica, now the slot's master.</param>
/// <param name="Took">From the kill until every running node agreed that the replica serves the slot.</param>
public sealed record RedisFailover(int Slot, RedisServer Killed, RedisServer Promoted, TimeSpan Took);

/// <summary>One line of <c>CLUSTER NODES</c>: <c>id host:port@bus flags master-id ping pong epoch link slot...</c>.</summary>
public sealed record RedisClusterNode(string Id, int Port, string Flags, string? MasterId, bool IsConnected, IReadOnlyList<(int From, int To)> Slots)
{
    public bool IsMyself => HasFlag("myself");

    public bool IsMaster => HasFlag("master");

    public bool IsReplica => HasFlag("slave");

    /// <summary>Flagged failed by a majority (<c>fail</c>) or suspected by this node (<c>fail?</c>).</summary>
    public bool IsFailing => HasFlag("fail") || HasFlag("fail?");

    public string SlotsText => string.Join(",", Slots.Select(r => r.From == r.To ? $"{r.From}" : $"{r.From}-{r.To}"));

    public bool Holds(int slot) => Slots.Any(r => r.From <= slot && slot <= r.To);

    public static IReadOnlyList<RedisClusterNode> Parse(string clusterNodes) => clusterNodes
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(ParseLine)
        .ToList();

    private bool HasFlag(string flag) => Flags.Split(',').Contains(flag);

    private static RedisClusterNode ParseLine(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // host:port@bus[,hostname]
        var address = fields[1].Split('@')[0];
        var port = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        var slots = fields.Skip(8)
            // "[slot->-node]" and "[slot-<-node]" are slots being migrated, not served.
            .Where(field => !field.StartsWith('['))
            .Select(field => field.Split('-') is [var from, var to]
                ? (int.Parse(from, CultureInfo.InvariantCulture), int.Parse(to, CultureInfo.InvariantCulture))
                : (int.Parse(field, CultureInfo.InvariantCulture), int.Parse(field, CultureInfo.InvariantCulture)))
            .ToList();
        return new RedisClusterNode(fields[0], port, fields[2], fields[3] == "-" ? null : fields[3], fields[7] == "connected", slots);
    }
}

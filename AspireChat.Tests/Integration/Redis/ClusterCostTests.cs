using System.Diagnostics;
using System.Globalization;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// What the cluster's design costs, measured on the 3+3 cluster fixture for docs/redis.md ("The stop channel on a
/// cluster") and docs/deploy.md ("Failover"): the figures go to the test's output, and the tests assert only what the
/// nodes count and what a replica holds, never a time (this machine is shared).
/// </summary>
public sealed class ClusterCostTests(SharedRedis redis) : IClassFixture<SharedRedis>, IAsyncDisposable
{
    /// <summary>Enough for per-message figures to stand above the cluster's own pings; a fraction of a second of work.</summary>
    private const int Messages = 500;

    /// <summary>Never reached by a healthy replica; long, so a stalled machine slows the test rather than fails it.</summary>
    private const int WaitTimeoutMilliseconds = 5000;

    private readonly List<ConnectionMultiplexer> _clients = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    /// <summary>
    /// A stop is one classic PUBLISH on one channel for the whole app: the node that runs it relays it over the cluster
    /// bus to every other node, masters and replicas, whoever subscribes there. The alternative, a sharded channel per
    /// conversation, stays in the conversation's shard (its master and that master's replica).
    /// </summary>
    [Fact]
    public async Task AStopIsRelayedToEveryNodeWhileAShardedMessageStaysInItsShard()
    {
        var connectionString = await redis.ConnectionStringAsync(RedisTopology.Cluster);
        var admin = Connect(connectionString + ",allowAdmin=true");
        var conversationId = ConversationIds.New();
        var stop = $"{ConversationIds.New()}\n{conversationId}";
        var stopChannel = RedisChannel.Literal(RedisKeys.StopChannel);
        var shardChannel = RedisChannel.Sharded(RedisKeys.ConversationChannel(conversationId));
        // Two subscribers, as two ChatApi instances: every instance takes every stop, whichever mode.
        var received = new int[4];
        for (var i = 0; i < 2; i++)
        {
            var instance = i;
            var subscriber = Connect(connectionString).GetSubscriber();
            await subscriber.SubscribeAsync(stopChannel, (_, _) => Interlocked.Increment(ref received[instance]));
            await subscriber.SubscribeAsync(shardChannel, (_, _) => Interlocked.Increment(ref received[2 + instance]));
        }

        var publisher = Connect(connectionString).GetSubscriber();
        var servers = admin.GetServers();
        var home = admin.GetDatabase().IdentifyEndpoint(RedisKeys.ConversationChannel(conversationId))!;

        var classic = await MeasureAsync(servers, async () =>
        {
            for (var i = 0; i < Messages; i++)
            {
                await publisher.PublishAsync(stopChannel, stop);
            }
        });
        var sharded = await MeasureAsync(servers, async () =>
        {
            for (var i = 0; i < Messages; i++)
            {
                await publisher.PublishAsync(shardChannel, stop);
            }
        });
        await TestRedis.WaitUntilAsync(() => Enumerable.Range(0, received.Length).All(i => Volatile.Read(ref received[i]) == Messages), "Every subscriber gets every message.");

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine(Invariant($"Per message, {Messages} messages of {stop.Length} bytes, 2 subscribers (bytes written include the cluster's own pings over the window)."));
        foreach (var (name, run) in new[] { ("classic stop channel", classic), ("sharded conversation channel", sharded) })
        {
            output?.WriteLine(Invariant($"{name} ({run.Window.TotalMilliseconds:F0} ms between readings):"));
            foreach (var (server, delta) in servers.Zip(run.Deltas))
            {
                output?.WriteLine(Invariant(
                    $"  {server.EndPoint} {(server.IsReplica ? "replica" : "master")}{(server.EndPoint.Equals(home) ? " (conversation's)" : "")}: PUBLISH {Per(delta.Publish)}, SPUBLISH {Per(delta.ShardPublish)}, bus publish sent/received {Per(delta.BusPublishSent)}/{Per(delta.BusPublishReceived)}, bus shard publish sent/received {Per(delta.BusShardPublishSent)}/{Per(delta.BusShardPublishReceived)}, bytes to clients {Per(delta.ClientBytesOut)}, bytes written {Per(delta.BytesWritten)}"));
            }
        }

        // Each classic stop ran on one master (the client spreads them), which relayed it over the bus to the five
        // others: every node, replicas too, got every stop once.
        Assert.Equal(Messages, classic.Deltas.Sum(d => d.Publish));
        Assert.Equal((servers.Length - 1) * Messages, classic.Deltas.Sum(d => d.BusPublishSent));
        Assert.All(classic.Deltas, d => Assert.Equal(Messages, d.Publish + d.BusPublishReceived));
        // The sharded message ran on the conversation's master and went only to its replica.
        Assert.Equal(Messages, sharded.Deltas[Array.FindIndex(servers, s => s.EndPoint.Equals(home))].ShardPublish);
        Assert.Equal(1, sharded.Deltas.Count(d => d.BusShardPublishReceived == Messages));
        Assert.All(sharded.Deltas, d => Assert.Equal(0, d.BusPublishReceived));
        Assert.Equal(servers.Length - 2, sharded.Deltas.Count(d => d.BusShardPublishReceived == 0 && d.ShardPublish == 0));
    }

    /// <summary>
    /// Replication is asynchronous: a turn's final write is acknowledged by its master before its replica has it, and a
    /// failover in that window loses it. <c>WAIT 1</c> on the master after the write closes the window (unless the wait
    /// times out); this measures the window and the wait, and checks that after the wait the replica holds the turn.
    /// </summary>
    [Fact]
    public async Task AfterWaitForOneReplicaATurnsFinalWriteIsOnTheReplica()
    {
        var client = Connect(await redis.ConnectionStringAsync(RedisTopology.Cluster));
        var database = client.GetDatabase();
        // A short history, so every turn's write is about the same size whatever the layout.
        var store = new RedisConversationStore(client, Options.Create(new ConversationOptions { MaxMessages = 20 }), TimeProvider.System);
        var owner = ConversationIds.New();
        var conversation = await store.CreateAsync(owner, "replication", Token);
        var key = RedisKeys.Conversation(conversation.Id);
        var master = client.GetServer(database.IdentifyEndpoint(key)!);
        var text = new string('x', 1500);
        List<double> plain = [], waited = [], caughtUp = [];
        const int turns = 200;

        for (var i = 0; i < turns; i++)
        {
            var withWait = i % 2 == 1;
            var user = new ConversationMessage(ConversationIds.New(), MessageRoles.User, "question", DateTimeOffset.UtcNow);
            var reply = new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, text, DateTimeOffset.UtcNow);
            var clock = Stopwatch.StartNew();
            Assert.True(await store.AppendTurnAsync(owner, conversation.Id, user, reply, Token));
            if (withWait)
            {
                var acknowledged = (long)await master.ExecuteAsync("WAIT", 1, WaitTimeoutMilliseconds);
                waited.Add(clock.Elapsed.TotalMilliseconds);
                Assert.Equal(1, acknowledged);
                // What WAIT promised: the replica, which a failover promotes, already holds the turn.
                Assert.Equal(reply.Id, (string?)await database.HashGetAsync(key, RedisKeys.ConversationFields.Leaf, CommandFlags.DemandReplica));
            }
            else
            {
                plain.Add(clock.Elapsed.TotalMilliseconds);
                var written = Stopwatch.StartNew();
                while ((string?)await database.HashGetAsync(key, RedisKeys.ConversationFields.Leaf, CommandFlags.DemandReplica) != reply.Id)
                {
                    Assert.True(written.Elapsed < TimeSpan.FromSeconds(10), "The replica never got the turn.");
                }

                caughtUp.Add(written.Elapsed.TotalMilliseconds);
            }
        }

        var roundTrips = new List<double>();
        for (var i = 0; i < turns / 2; i++)
        {
            var clock = Stopwatch.StartNew();
            await database.PingAsync(CommandFlags.DemandReplica);
            roundTrips.Add(clock.Elapsed.TotalMilliseconds);
        }

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine(Invariant($"{turns / 2} turns each ({text.Length}-character reply), ms p50 / p90 / p99 / max:"));
        output?.WriteLine($"  turn's writes (conversation script + owner index): {Percentiles(plain)}");
        output?.WriteLine($"  the same, then WAIT 1 {WaitTimeoutMilliseconds} on the conversation's master: {Percentiles(waited)}");
        output?.WriteLine($"  from the writes' acknowledgement until a read from the replica saw the turn: {Percentiles(caughtUp)}");
        output?.WriteLine($"  one PING to the replica (what the read above adds): {Percentiles(roundTrips)}");
    }

    private ConnectionMultiplexer Connect(string connectionString)
    {
        var client = TestRedis.Connect(connectionString);
        _clients.Add(client);
        return client;
    }

    /// <summary>Each node's counts over <paramref name="work"/>, and the time between the two readings.</summary>
    private static async Task<(TimeSpan Window, RedisNodeCounters[] Deltas)> MeasureAsync(IServer[] servers, Func<Task> work)
    {
        var before = await Task.WhenAll(servers.Select(RedisNodeCounters.ReadAsync));
        var clock = Stopwatch.StartNew();
        await work();
        // The bus relays after the publisher's reply: let it land before reading.
        await Task.Delay(200, Token);
        var window = clock.Elapsed;
        var after = await Task.WhenAll(servers.Select(RedisNodeCounters.ReadAsync));
        return (window, [.. after.Zip(before, (a, b) => a - b)]);
    }

    private static string Per(long total) => ((double)total / Messages).ToString("0.##", CultureInfo.InvariantCulture);

    private static string Percentiles(List<double> values)
    {
        var sorted = values.Order().ToArray();
        double At(double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
        return Invariant($"{At(0.5):F2} / {At(0.9):F2} / {At(0.99):F2} / {sorted[^1]:F2}");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;
using StackExchange.Redis;

namespace AspireChat.Tests.Fixtures;

/// <summary>
/// What one Redis node counts of its own pub/sub work, read from the node itself (a client with <c>allowAdmin</c>):
/// the PUBLISH and SPUBLISH it ran (<c>INFO commandstats</c>, a script's calls included), the publish messages its
/// cluster bus sent and received (<c>CLUSTER INFO</c>; zero on a node that is not in a cluster), the bytes it sent to
/// its clients (<c>INFO stats</c>) and every byte its process wrote, cluster bus and replication included
/// (<c>wchar</c> of <c>/proc/&lt;pid&gt;/io</c>: the node runs on this machine). Subtract two readings for what happened between.
/// </summary>
public sealed record RedisNodeCounters(
    long Publish,
    long ShardPublish,
    long BusPublishSent,
    long BusPublishReceived,
    long BusShardPublishSent,
    long BusShardPublishReceived,
    long ClientBytesOut,
    long BytesWritten)
{
    public static async Task<RedisNodeCounters> ReadAsync(IServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var info = (await server.InfoAsync("all")).SelectMany(group => group).ToDictionary(pair => pair.Key, pair => pair.Value);
        var cluster = server.ServerType == ServerType.Cluster ? Fields((string)(await server.ExecuteAsync("CLUSTER", "INFO"))!) : [];
        var io = Fields(await File.ReadAllTextAsync($"/proc/{info["process_id"]}/io"));
        return new RedisNodeCounters(
            Calls(info, "cmdstat_publish"),
            Calls(info, "cmdstat_spublish"),
            Number(cluster, "cluster_stats_messages_publish_sent"),
            Number(cluster, "cluster_stats_messages_publish_received"),
            Number(cluster, "cluster_stats_messages_publishshard_sent"),
            Number(cluster, "cluster_stats_messages_publishshard_received"),
            Number(info, "total_net_output_bytes"),
            Number(io, "wchar"));
    }

    public static RedisNodeCounters operator -(RedisNodeCounters after, RedisNodeCounters before)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(before);
        return new(
            after.Publish - before.Publish,
            after.ShardPublish - before.ShardPublish,
            after.BusPublishSent - before.BusPublishSent,
            after.BusPublishReceived - before.BusPublishReceived,
            after.BusShardPublishSent - before.BusShardPublishSent,
            after.BusShardPublishReceived - before.BusShardPublishReceived,
            after.ClientBytesOut - before.ClientBytesOut,
            after.BytesWritten - before.BytesWritten);
    }

    private static Dictionary<string, string> Fields(string text) => text
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(line => line.Split(':', 2))
        .Where(pair => pair.Length == 2)
        .ToDictionary(pair => pair[0], pair => pair[1].Trim());

    private static long Number(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var value) ? long.Parse(value, CultureInfo.InvariantCulture) : 0;

    // "calls=12,usec=345,..."; absent until the command first ran.
    private static long Calls(Dictionary<string, string> info, string name) =>
        info.TryGetValue(name, out var stats) ? long.Parse(stats.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture) : 0;
}

using System.Text.Json;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fixtures;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// What an earlier release's own ChatApi left in Redis (<c>Snapshots/make-layout-snapshot.sh &lt;commit&gt;</c>: one
/// owner, a conversation of two finished turns, and one whose second reply was cut by killing its instance
/// mid-stream), and the names its manifest gives.
/// </summary>
public sealed record LayoutSnapshot(string Commit, string Owner, string Finished, string Interrupted, string InterruptedReply, string[] Keys)
{
    private static readonly string s_snapshots = Path.Combine(AppContext.BaseDirectory, "Integration", "Redis", "Snapshots");

    /// <summary>
    /// The snapshot's keys, restored key by key (DUMP/RESTORE) into <paramref name="target"/>, a node or a cluster, as
    /// they were (no time to live, as saved); any later layout's keys of its conversations, which an earlier test made,
    /// are deleted first.
    /// </summary>
    public static async Task<LayoutSnapshot> RestoreAsync(string commit, IDatabase target, CancellationToken cancellationToken)
    {
        var manifest = JsonSerializer.Deserialize<LayoutSnapshot>(await File.ReadAllTextAsync(Path.Combine(s_snapshots, $"layout-{commit}.json"), cancellationToken), JsonSerializerOptions.Web)!;
        await using var source = await RedisServer.StartAsync(new RedisServerOptions { Snapshot = Path.Combine(s_snapshots, $"layout-{commit}.rdb") });
        await using var reader = await ConnectionMultiplexer.ConnectAsync(source.ConnectionString);
        foreach (var id in new[] { manifest.Finished, manifest.Interrupted })
        {
            foreach (var key in RedisKeys.ConversationKeys(id).Append(RedisKeys.LatestReply(id)))
            {
                await target.KeyDeleteAsync(key);
            }
        }

        await target.KeyDeleteAsync(RedisKeys.OwnerConversations(manifest.Owner));
        Assert.Equal(manifest.Keys.Order(StringComparer.Ordinal), reader.GetServers()[0].Keys().Select(k => (string)k!).Order(StringComparer.Ordinal));
        foreach (var key in manifest.Keys)
        {
            var dump = await reader.GetDatabase().KeyDumpAsync(key);
            await target.KeyDeleteAsync(key);
            await target.KeyRestoreAsync(key, dump!);
        }

        return manifest;
    }

    /// <summary>The conversation's stored messages by id, in the order they were written.</summary>
    public static async Task<List<byte[]>> StoredInOrderAsync(IDatabase database, string conversationId)
    {
        var ids = await database.SortedSetRangeByRankAsync(RedisKeys.MessageOrder(conversationId));
        var items = await database.HashGetAsync(RedisKeys.MessagesById(conversationId), ids);
        return [.. items.Select(v => (byte[])v!)];
    }
}

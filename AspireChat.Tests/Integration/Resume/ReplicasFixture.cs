using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Replies;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Resume;

/// <summary>
/// Two ChatApi instances as real processes behind no load balancer (a test picks the instance),
/// sharing one real Redis: what replicas see in production. One pair per <see cref="RedisTopology"/> and
/// <c>Replies:PubSub</c> (<see cref="ReplyPubSub"/>), started the first time a test of the class asks for it.
/// </summary>
public sealed class ReplicasFixture : IAsyncDisposable
{
    /// <summary>Short, so a dead producer is noticed within seconds.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(1.5);

    private readonly SharedRedis _redis = new();
    private readonly ConcurrentDictionary<(RedisTopology, ReplyPubSub), Lazy<Task<Replicas>>> _replicas = [];

    /// <summary>
    /// The two instances on this class's Redis of <paramref name="topology"/>, both carrying the conversations' channels
    /// as <paramref name="pubSub"/> says (Auto: sharded on this machine's Redis 7).
    /// </summary>
    public Task<Replicas> OnAsync(RedisTopology topology, ReplyPubSub pubSub = ReplyPubSub.Auto) =>
        _replicas.GetOrAdd((topology, pubSub), key => new(() => StartReplicasAsync(key.Item1, key.Item2))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var replicas in _replicas.Values.Where(r => r.IsValueCreated && r.Value.IsCompletedSuccessfully).Select(r => r.Value.Result))
        {
            await replicas.A.DisposeAsync();
            await replicas.B.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    private async Task<Replicas> StartReplicasAsync(RedisTopology topology, ReplyPubSub pubSub)
    {
        var redis = await _redis.ConnectionStringAsync(topology);
        var starting = new[] { StartInstanceAsync(redis, pubSub: pubSub), StartInstanceAsync(redis, pubSub: pubSub) };
        return new Replicas(redis, await starting[0], await starting[1]);
    }

    /// <summary>A ChatApi instance on the Redis at <paramref name="redis"/> with an offline model that streams 40 words a second.</summary>
    public static Task<ServiceProcess> StartInstanceAsync(string redis, double tokensPerSecond = 40, int maxQueuedFrames = 256, ReplyPubSub pubSub = ReplyPubSub.Auto) =>
        ServiceProcess.StartAsync("AspireChat.ChatApi", new Dictionary<string, string?>
        {
            ["Replies__PubSub"] = pubSub.ToString(),
            ["ConnectionStrings__cache"] = redis,
            ["Model__Provider"] = "Offline",
            ["Model__Offline__TimeToFirstToken"] = "00:00:00",
            ["Model__Offline__TokensPerSecond"] = tokensPerSecond.ToString(CultureInfo.InvariantCulture),
            ["Replies__Lease"] = Lease.ToString("c", CultureInfo.InvariantCulture),
            // Aspire's section for the multiplexer: commands wait at most 2 s for Redis (queued while it
            // reconnects), and a start with Redis down waits 1 s for it.
            ["Aspire__StackExchange__Redis__ConfigurationOptions__AsyncTimeout"] = "2000",
            ["Aspire__StackExchange__Redis__ConfigurationOptions__ConnectTimeout"] = "1000",
            ["Chat__Limits__MessageBurst"] = "1000",
            // Small, so a client that stops reading is found out within a few long replies.
            ["Chat__MaxQueuedFrames"] = maxQueuedFrames.ToString(CultureInfo.InvariantCulture),
        }, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>A new browser: its owner cookie.</summary>
    public static string NewOwner() => $"aspirechat_owner={ConversationIds.New()}";

    public static async Task<JsonObject?> GetConversationAsync(ServiceProcess instance, string cookie, string conversationId)
    {
        using var http = new HttpClient { BaseAddress = instance.BaseAddress };
        http.DefaultRequestHeaders.Add("Cookie", cookie);
        using var response = await http.GetAsync($"/api/conversations/{conversationId}", TestContext.Current.CancellationToken);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken) : null;
    }
}

/// <summary>Two ChatApi instances, <paramref name="A"/> and <paramref name="B"/>, on the Redis at <paramref name="Redis"/> (its connection string).</summary>
public sealed record Replicas(string Redis, ServiceProcess A, ServiceProcess B);

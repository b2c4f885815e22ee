using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.Conversations;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Resume;

/// <summary>
/// Two ChatApi instances as real processes behind no load balancer (a test picks the instance),
/// sharing one real redis-server: what replicas see in production.
/// </summary>
public sealed class ReplicasFixture : IAsyncLifetime
{
    /// <summary>Short, so a dead producer is noticed within seconds.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(1.5);

    public RedisServer Redis { get; private set; } = null!;

    public ServiceProcess A { get; private set; } = null!;

    public ServiceProcess B { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        var starting = new[] { StartInstanceAsync(Redis), StartInstanceAsync(Redis) };
        (A, B) = (await starting[0], await starting[1]);
    }

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Redis.DisposeAsync();
    }

    /// <summary>A ChatApi instance on <paramref name="redis"/> with an offline model that streams 40 words a second.</summary>
    public static Task<ServiceProcess> StartInstanceAsync(RedisServer redis, double tokensPerSecond = 40, int maxQueuedFrames = 256) =>
        ServiceProcess.StartAsync("AspireChat.ChatApi", new Dictionary<string, string?>
        {
            ["ConnectionStrings__cache"] = redis.ConnectionString,
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

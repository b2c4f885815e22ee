using System.Collections.Concurrent;
using System.Diagnostics;
using AspireChat.ChatApi;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Replies.Redis;
using AspireChat.Tests.Contract;
using AspireChat.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>What Aspire's Redis client brings, as ChatApi registers it: tracing of every command but a reply's own writes; and /health's Redis check, ours, on one node and on a cluster.</summary>
public sealed class RedisTracingAndHealthTests
{
    private const string RedisSource = TraceAssert.RedisScope;
    private const string Password = "Tr4c3sN3v3rSh0wTh1sPw";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheStoresCommandsAreClientSpansUnderTheCurrentSpanWithoutTextKeysOrThePassword()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        using var spans = new SpanRecorder();
        await using var app = Build(server.ConnectionString);
        await app.StartAsync(Token);
        var store = app.Services.GetRequiredService<IConversationStore>();
        const string secretTitle = "user-typed-title-Kf83";
        const string secretText = "user-typed-text-Pq27";
        ActivityTraceId traceId;
        ActivitySpanId parentId;

        using (var parent = new ActivitySource("AspireChat.Tests.Parent").StartActivity("reply"))
        {
            traceId = parent!.TraceId;
            parentId = parent.SpanId;
            var created = await store.CreateAsync("owner", secretTitle, Token);
            var now = DateTimeOffset.UtcNow;
            await store.AppendTurnAsync("owner", created.Id, new ConversationMessage("u", MessageRoles.User, secretText, now), new ConversationMessage("a", MessageRoles.Assistant, secretText, now), Token);
        }

        // The instrumentation turns StackExchange.Redis's profiled commands into spans on its own schedule (every 10 s).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(25);
        List<Activity> commands;
        while ((commands = [.. spans.Spans.Where(s => s.Source.Name == RedisSource && s.TraceId == traceId)]).Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Only {commands.Count} Redis spans arrived for the parent's trace.");
            await Task.Delay(100, Token);
        }

        Assert.Contains(commands, c => c.DisplayName.Contains("EVAL", StringComparison.Ordinal));
        Assert.All(commands, span =>
        {
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.Equal(parentId, span.ParentSpanId);
            Assert.Equal("redis", span.GetTagItem("db.system") ?? span.GetTagItem("db.system.name"));
            var everything = string.Join(" ", span.TagObjects.Select(t => $"{t.Key}={t.Value}")) + span.StatusDescription + span.DisplayName;
            Assert.DoesNotContain(secretTitle, everything, StringComparison.Ordinal);
            Assert.DoesNotContain(secretText, everything, StringComparison.Ordinal);
            Assert.DoesNotContain(Password, everything, StringComparison.Ordinal);
        });
        await app.StopAsync(Token);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AReplysWritesAreNotProfiledUnlessPerCommandSpansAsksForASpanEach(bool perCommandSpans)
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        using var spans = new SpanRecorder();
        await using var app = Build(server.ConnectionString, builder => builder.AddChatServices(), ("Telemetry:PerCommandSpans", perCommandSpans ? "true" : "false"));
        await app.StartAsync(Token);
        var writes = app.Services.GetRequiredService<ReplyWriteConnection>().Database;
        var traced = app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        ActivityTraceId traceId;
        RedisValue read;

        using (var parent = new ActivitySource("AspireChat.Tests.Parent").StartActivity("reply"))
        {
            traceId = parent!.TraceId;
            await writes.StringSetAsync("written-by-a-reply", "stored");
            read = await traced.StringGetAsync("written-by-a-reply");
        }

        // Both commands were profiled into the parent's one session, if at all, and so arrive together (every 10 s).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(25);
        List<Activity> commands;
        while (!(commands = [.. spans.Spans.Where(s => s.Source.Name == RedisSource && s.TraceId == traceId)]).Any(c => c.DisplayName.StartsWith("GET", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "The traced client's GET never became a span.");
            await Task.Delay(100, Token);
        }

        Assert.Equal("stored", read);
        var names = string.Join(", ", commands.Select(c => c.DisplayName));
        Assert.True(perCommandSpans == commands.Any(c => c.DisplayName.StartsWith("SET", StringComparison.Ordinal)), $"PerCommandSpans={perCommandSpans}, spans: {names}");
        await app.StopAsync(Token);
    }

    [Fact]
    public async Task TheHealthCheckIsHealthyWhenRedisAnswersUnhealthyWhenItIsGoneAndHealthyAgainOnceItIsBack()
    {
        await using var server = await RedisServer.StartAsync();
        await using var app = Build(server.ConnectionString);
        await app.StartAsync(Token);
        var health = app.Services.GetRequiredService<HealthCheckService>();

        var up = await health.CheckHealthAsync(Token);
        await server.StopAsync();
        var down = await health.CheckHealthAsync(Token);
        await server.StartAsync();

        Assert.Equal(HealthStatus.Healthy, up.Status);
        Assert.Equal("1 Redis primary answered PING.", up.Entries["redis"].Description);
        Assert.Equal(HealthStatus.Unhealthy, down.Entries["redis"].Status);
        Assert.StartsWith($"Redis 127.0.0.1:{server.Port} did not answer PING: ", down.Entries["redis"].Description, StringComparison.Ordinal);
        await TestRedis.WaitUntilAsync(() => health.CheckHealthAsync(Token).GetAwaiter().GetResult().Status == HealthStatus.Healthy, "/health stayed unhealthy after Redis came back.", TimeSpan.FromSeconds(15));
        await app.StopAsync(Token);
    }

    [Fact]
    public async Task OnAClusterTheHealthCheckNeedsNoAdminModeSaysWhichPrimaryIsDownAndIsHealthyOnceItsReplicaTookOver()
    {
        await using var cluster = await RedisCluster.StartAsync(cancellationToken: Token);
        await using var app = Build(cluster.ConnectionString);
        await app.StartAsync(Token);
        var health = app.Services.GetRequiredService<HealthCheckService>();
        var up = await health.CheckHealthAsync(Token);
        var master = await cluster.MasterOfAsync(0, Token);

        await master.KillAsync();
        var down = await health.CheckHealthAsync(Token);
        await cluster.WaitUntilSettledAsync(Token);
        var clock = Stopwatch.StartNew();
        await TestRedis.WaitUntilAsync(() => health.CheckHealthAsync(Token).GetAwaiter().GetResult().Status == HealthStatus.Healthy, "/health stayed unhealthy after the replica took over.", TimeSpan.FromSeconds(15));
        TestContext.Current.TestOutputHelper?.WriteLine($"Healthy again {clock.ElapsedMilliseconds} ms after the cluster settled.");

        Assert.True(up.Status == HealthStatus.Healthy, Describe(up));
        Assert.Equal("3 Redis primaries answered PING.", up.Entries["redis"].Description);
        Assert.Equal(HealthStatus.Unhealthy, down.Entries["redis"].Status);
        Assert.StartsWith($"Redis 127.0.0.1:{master.Port} did not answer PING: ", down.Entries["redis"].Description, StringComparison.Ordinal);
        Assert.DoesNotContain(cluster.Password, Describe(down), StringComparison.Ordinal);
        await app.StopAsync(Token);
    }

    [Fact]
    public async Task AspiresSwitchTurnsTheRedisHealthCheckOff()
    {
        await using var server = await RedisServer.StartAsync();
        await using var app = Build(server.ConnectionString, ("Aspire:StackExchange:Redis:DisableHealthChecks", "true"));
        await app.StartAsync(Token);

        var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Token);

        Assert.Empty(report.Entries);
        await app.StopAsync(Token);
    }

    private static string Describe(HealthReport report) =>
        string.Join("; ", report.Entries.Select(e => $"{e.Key}: {e.Value.Status} {e.Value.Description}"));

    private static WebApplication Build(string connectionString, params (string Key, string Value)[] settings) =>
        Build(connectionString, builder => builder.AddConversationStore(), settings);

    /// <summary>An app on <paramref name="connectionString"/> with <paramref name="addServices"/>: the store alone, or all of ChatApi's (the replies' included).</summary>
    private static WebApplication Build(string connectionString, Action<WebApplicationBuilder> addServices, params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:cache"] = connectionString;
        builder.Configuration["Aspire:StackExchange:Redis:ConfigurationOptions:ConnectTimeout"] = "1000";
        builder.Configuration["Aspire:StackExchange:Redis:ConfigurationOptions:AsyncTimeout"] = "1000";
        builder.Services.AddHealthChecks();
        addServices(builder);
        return builder.Build();
    }

    private sealed class SpanRecorder : IDisposable
    {
        private readonly ActivityListener _listener;

        public SpanRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is RedisSource or "AspireChat.Tests.Parent",
                Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity => Spans.Enqueue(activity),
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public ConcurrentQueue<Activity> Spans { get; } = new();

        public void Dispose() => _listener.Dispose();
    }
}

using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

public sealed class ConversationStoreRegistrationTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithoutACacheConnectionStringConversationsLiveInMemory()
    {
        await using var app = Build(connectionString: null, out var logs);
        await app.StartAsync(Token);

        Assert.IsType<InMemoryConversationStore>(app.Services.GetRequiredService<IConversationStore>());
        Assert.Null(app.Services.GetService<IConnectionMultiplexer>());
        Assert.Contains(logs.Lines, l => l.Contains("Conversation store: in memory", StringComparison.Ordinal));
        await app.StopAsync(Token);
    }

    [Fact]
    public async Task WithACacheConnectionStringConversationsLiveInRedisAndTheLogHidesThePassword()
    {
        const string password = "Hq3Lm9Xc2Vb7Nz5Kd8Fg1R";
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = password });
        await using var app = Build(server.ConnectionString, out var logs);
        await app.StartAsync(Token);

        var store = Assert.IsType<RedisConversationStore>(app.Services.GetRequiredService<IConversationStore>());
        var created = await store.CreateAsync("owner", "title", Token);
        Assert.NotNull(await store.GetAsync("owner", created.Id, Token));
        Assert.Contains(logs.Lines, l => l.Contains($"Conversation store: Redis at 127.0.0.1:{server.Port},password=*****", StringComparison.Ordinal));
        Assert.DoesNotContain(password, logs.Text, StringComparison.Ordinal);
        await app.StopAsync(Token);
    }

    [Fact]
    public async Task TheServiceStartsWithRedisDownReportsUnhealthyAndRecoversWithoutARestart()
    {
        await using var server = await RedisServer.StartAsync();
        await server.StopAsync();
        await using var app = Build(server.ConnectionString, out _);

        await app.StartAsync(Token);
        var health = app.Services.GetRequiredService<HealthCheckService>();
        var store = app.Services.GetRequiredService<IConversationStore>();

        var down = await health.CheckHealthAsync(Token);
        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        // The Redis health check (RedisPrimariesHealthCheck), reported by /health.
        Assert.Equal(HealthStatus.Unhealthy, down.Entries["redis"].Status);
        await Assert.ThrowsAsync<RedisConnectionException>(() => store.ListAsync("owner", Token));

        await server.StartAsync();

        await TestRedis.EventuallyAsync(() => store.ListAsync("owner", Token));
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(Token)).Status);
        await app.StopAsync(Token);
    }

    [Fact]
    public void InvalidConversationOptionsStopTheStart()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration["Conversations:MaxMessages"] = "1";
        builder.AddConversationStore();
        using var app = builder.Build();

        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync(Token).GetAwaiter().GetResult());
    }

    private static WebApplication Build(string? connectionString, out CapturingLoggerProvider logs)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (connectionString is not null)
        {
            builder.Configuration["ConnectionStrings:cache"] = connectionString;
            // Aspire's section for the multiplexer's options: a short connect timeout, so a start with Redis down is quick.
            builder.Configuration["Aspire:StackExchange:Redis:ConfigurationOptions:ConnectTimeout"] = "1000";
        }

        logs = new CapturingLoggerProvider();
        builder.Logging.AddProvider(logs);
        builder.Services.AddHealthChecks();
        builder.AddConversationStore();
        return builder.Build();
    }
}

internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly CapturingLogger<object> _logger = new();

    public IReadOnlyCollection<string> Lines => _logger.Lines;

    public string Text => _logger.Text;

    public ILogger CreateLogger(string categoryName) => _logger;

    public void Dispose()
    {
    }
}

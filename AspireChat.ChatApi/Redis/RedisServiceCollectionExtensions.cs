using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Redis;

/// <summary>Registers the Redis client for a connection string, with its options and health check.</summary>
public static class RedisServiceCollectionExtensions
{
    public static IServiceCollection AddRedisClient(this IServiceCollection services, string connectionString)
    {
        // Parsed now: a malformed connection string stops the start, with the reason (never the password).
        var connection = RedisConnectionOptions.Parse(connectionString);
        services.AddOptions<RedisClientOptions>()
            .BindConfiguration(RedisClientOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.ReconnectMinDelay <= o.ReconnectMaxDelay, "Redis:ReconnectMinDelay must not exceed Redis:ReconnectMaxDelay.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IRedisClient>(sp => new RedisClient(
            connection,
            sp.GetRequiredService<IOptions<RedisClientOptions>>(),
            sp.GetRequiredService<ILogger<RedisClient>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddHealthChecks().AddCheck<RedisHealthCheck>(RedisHealthCheck.Name, tags: ["ready"]);
        return services;
    }
}

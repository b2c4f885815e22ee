using AspireChat.ChatApi.Conversations.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Conversations;

/// <summary>Picks where conversations live: Redis when <c>ConnectionStrings:cache</c> is set, process memory otherwise.</summary>
public static class ConversationStoreExtensions
{
    public const string ConnectionName = "cache";

    public static IHostApplicationBuilder AddConversationStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ConversationOptions>()
            .BindConfiguration(ConversationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);

        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            builder.Services.AddSingleton<IConversationStore, InMemoryConversationStore>();
            builder.Services.AddHostedService(sp => new ConversationStoreAnnouncement(
                sp.GetRequiredService<ILogger<ConversationStoreAnnouncement>>(), null));
        }
        else
        {
            // Aspire's client integration: IConnectionMultiplexer, its tracing, and the Aspire:StackExchange:Redis
            // section. It does not abort when Redis is down: the service starts, /health says why, and the
            // multiplexer reconnects in the background. Its health check needs admin mode on a cluster, so ours
            // takes its place, under the same switch (Aspire:StackExchange:Redis:DisableHealthChecks).
            var healthCheck = true;
            builder.AddRedisClient(ConnectionName, settings =>
            {
                healthCheck = !settings.DisableHealthChecks;
                settings.DisableHealthChecks = true;
            });
            if (healthCheck)
            {
                builder.Services.AddHealthChecks().AddCheck<RedisPrimariesHealthCheck>(RedisPrimariesHealthCheck.Name);
            }

            builder.Services.AddSingleton<IConversationStore, RedisConversationStore>();
            // Parsed as the multiplexer parses it; printed without the password.
            var redacted = ConfigurationOptions.Parse(connectionString).ToString(includePassword: false);
            builder.Services.AddHostedService(sp => new ConversationStoreAnnouncement(
                sp.GetRequiredService<ILogger<ConversationStoreAnnouncement>>(), redacted));
        }

        return builder;
    }
}

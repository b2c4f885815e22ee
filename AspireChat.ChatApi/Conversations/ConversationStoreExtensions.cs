using AspireChat.ChatApi.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
            // No connection is made here: the first command connects, so the service starts with Redis down.
            builder.Services.AddRedisClient(connectionString);
            builder.Services.AddSingleton<IConversationStore, RedisConversationStore>();
            builder.Services.AddHostedService(sp => new ConversationStoreAnnouncement(
                sp.GetRequiredService<ILogger<ConversationStoreAnnouncement>>(), sp.GetRequiredService<IRedisClient>().Connection));
        }

        return builder;
    }
}

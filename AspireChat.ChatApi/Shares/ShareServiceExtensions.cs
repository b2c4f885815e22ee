using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Shares;

public static class ShareServiceExtensions
{
    /// <summary>Read-only share links: their store (Redis when the conversation store is, else memory) and the sharing itself.</summary>
    public static IHostApplicationBuilder AddShares(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ShareOptions>()
            .BindConfiguration(ShareOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConversationStoreExtensions.ConnectionName)))
        {
            builder.Services.AddSingleton<IShareStore, InMemoryShareStore>();
        }
        else
        {
            builder.Services.AddSingleton<IShareStore, RedisShareStore>();
        }

        builder.Services.AddSingleton<ConversationSharing>();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(SharesJsonContext.Default));
        return builder;
    }
}

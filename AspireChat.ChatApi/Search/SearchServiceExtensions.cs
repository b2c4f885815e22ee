using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Search;

public static class SearchServiceExtensions
{
    /// <summary>
    /// Search over the conversation store: its index beside the store (Redis when the store is, else memory),
    /// and the store itself wrapped so every write keeps the index current. Call after <c>AddConversationStore</c>.
    /// </summary>
    public static IHostApplicationBuilder AddSearch(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SearchOptions>()
            .BindConfiguration(SearchOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConversationStoreExtensions.ConnectionName)))
        {
            builder.Services.AddSingleton<ISearchIndex, InMemorySearchIndex>();
        }
        else
        {
            builder.Services.AddSingleton<ISearchIndex, RedisSearchIndex>();
        }

        // The store as registered stays resolvable by its own type; IConversationStore becomes it, indexed.
        var registered = builder.Services.Last(d => d.ServiceType == typeof(IConversationStore));
        var storeType = registered.ImplementationType
            ?? throw new InvalidOperationException("Search wraps a conversation store registered by type (AddConversationStore).");
        builder.Services.Remove(registered);
        builder.Services.AddSingleton(storeType);
        builder.Services.AddSingleton<IConversationStore>(services => ActivatorUtilities.CreateInstance<IndexingConversationStore>(
            services, (IConversationStore)services.GetRequiredService(storeType)));
        builder.Services.AddSingleton<ConversationSearch>();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(SearchJsonContext.Default));
        return builder;
    }
}

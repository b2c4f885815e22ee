namespace AspireChat.ChatApi.Conversations;

public static class ConversationStoreExtensions
{
    /// <summary>The conversation store: in memory (the Redis store arrives with its own issue).</summary>
    public static IHostApplicationBuilder AddConversationStore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConversationOptions>()
            .BindConfiguration(ConversationOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IConversationStore, InMemoryConversationStore>();
        return builder;
    }
}

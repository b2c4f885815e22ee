using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Feedback;

public static class FeedbackServiceExtensions
{
    /// <summary>Ratings of replies, stored in the messages of whichever store holds the conversations.</summary>
    public static IHostApplicationBuilder AddFeedback(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConversationStoreExtensions.ConnectionName)))
        {
            builder.Services.AddSingleton<IFeedbackStore, InMemoryFeedbackStore>();
        }
        else
        {
            builder.Services.AddSingleton<IFeedbackStore, RedisFeedbackStore>();
        }

        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(FeedbackJsonContext.Default));
        return builder;
    }
}

using System.Text.Json.Serialization;
using AspireChat.ChatApi.Apis;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Feedback;
using AspireChat.ChatApi.Models;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Replies.Redis;
using AspireChat.ChatApi.Search;
using AspireChat.ChatApi.Shares;
using AspireChat.ChatApi.WebSockets;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi;

public static class ChatServiceExtensions
{
    /// <summary>Everything the chat needs: options, the model, the conversation store (with search, shares, feedback), the turn's flow, the replies, limits.</summary>
    public static IHostApplicationBuilder AddChatServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ChatServiceOptions>()
            .BindConfiguration(ChatServiceOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Limits.MessagesPerMinute > 0 && o.Limits.MessageBurst > 0 && o.Limits.MaxConnectionsPerClient > 0, "Chat:Limits values must be positive.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.AddChatModel();
        builder.AddConversationStore();
        // Search, shares and feedback, beside the store and chosen as it is (after it: search wraps it).
        builder.AddSearch();
        builder.AddShares();
        builder.AddFeedback();
        builder.AddReplies();

        // A chat turn's flow: its nodes keep no state, so one flow serves every turn (Chat/ChatTurnFlow.cs).
        builder.Services.AddSingleton<LoadConversationNode>();
        builder.Services.AddSingleton<AnnounceTurnNode>();
        builder.Services.AddSingleton<StreamReplyNode>();
        builder.Services.AddSingleton<SaveTurnNode>();
        builder.Services.AddSingleton<ChatTurnFlow>();
        builder.Services.AddSingleton<ReplyCoordinator>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ReplyCoordinator>());
        builder.Services.AddSingleton<BranchSwitcher>();
        builder.Services.AddSingleton<ConnectionCounter>();

        var limits = builder.Configuration.GetSection(ChatServiceOptions.SectionName).Get<ChatServiceOptions>()?.Limits ?? new ChatLimits();
        builder.Services.AddChatRateLimits(limits);
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ProtocolJsonContext.Default);
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        return builder;
    }

    /// <summary>
    /// The conversation lease and the reply broker: in Redis when the conversation store is Redis (replicas), in
    /// process memory otherwise (docs/design.md, "Replies that survive").
    /// </summary>
    private static void AddReplies(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReplyOptions>()
            .BindConfiguration(ReplyOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        // Bound at start, so a misspelt value stops the start instead of the first reply over Redis.
        builder.Services.AddOptions<ReplyTelemetryOptions>()
            .BindConfiguration(ReplyTelemetryOptions.SectionName)
            .ValidateOnStart();
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConversationStoreExtensions.ConnectionName)))
        {
            builder.Services.AddSingleton<InMemoryConversationLeases>();
            builder.Services.AddSingleton<IConversationLeases>(services => services.GetRequiredService<InMemoryConversationLeases>());
            builder.Services.AddSingleton<IReplyBroker, InMemoryReplyBroker>();
        }
        else
        {
            // A reply's batches and lease renewals go out on a connection without tracing, unless Telemetry:PerCommandSpans
            // asks for a span each (Replies/Redis/ReplyWriteConnection.cs).
            builder.Services.AddSingleton(ReplyWriteConnection.Create);
            builder.Services.AddSingleton<RedisConversationChannels>();
            builder.Services.AddSingleton<RedisReplyFinalizer>();
            builder.Services.AddSingleton<IConversationLeases, RedisConversationLeases>();
            builder.Services.AddSingleton<RedisReplyBroker>();
            builder.Services.AddSingleton<IReplyBroker>(services => services.GetRequiredService<RedisReplyBroker>());
            builder.Services.AddHostedService(services => services.GetRequiredService<RedisReplyBroker>());
        }
    }

    /// <summary>The chat's endpoints: the WebSocket, the event-stream fallback, the conversations, search, shares and feedback APIs.</summary>
    public static WebApplication MapChatApi(this WebApplication app)
    {
        // Before the WebSocket middleware, which takes the upgrade feature as it finds it.
        app.UseInvalidUtf8CloseReason();
        app.UseWebSockets();
        app.UseRateLimiter();

        app.MapChatSocket();
        app.MapChatStreamApi();
        app.MapConversationsApi();
        app.MapSearchApi();
        app.MapSharesApi();
        app.MapFeedbackApi();

        var model = app.Services.GetRequiredService<IOptions<ModelOptions>>().Value;
        var metadata = app.Services.GetRequiredService<IChatClient>().GetService<ChatClientMetadata>();
        ChatLog.ModelSelected(app.Logger, metadata?.ProviderName ?? model.ResolvedProvider.ToString(), metadata?.DefaultModelId ?? model.Name);
        return app;
    }
}

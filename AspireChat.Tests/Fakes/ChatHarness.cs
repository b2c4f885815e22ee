using AspireChat.ChatApi;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Models;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Replies.Redis;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Fakes;

/// <summary>
/// The reply coordinator with its real flow, leases, broker and store, around a model the test scripts. With
/// <c>redis</c>, the leases and the broker are Redis's (the store is the one given); without, both in memory.
/// </summary>
public sealed class ChatHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public ChatHarness(IConversationStore? store = null, Action<ChatServiceOptions>? chat = null, Action<ModelOptions>? model = null, IConnectionMultiplexer? redis = null, Action<ReplyOptions>? replies = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(ApplyTo(new ChatServiceOptions { HistoryWriteRetryWait = TimeSpan.FromMilliseconds(10) }, chat)));
        services.AddSingleton(Options.Create(ApplyTo(new ModelOptions { RetryWait = TimeSpan.FromMilliseconds(10) }, model)));
        services.AddSingleton(Options.Create(new ConversationOptions()));
        services.AddSingleton(Options.Create(ApplyTo(new ReplyOptions(), replies)));
        services.AddSingleton<IChatClient>(Model);
        if (store is null)
        {
            services.AddSingleton<IConversationStore, InMemoryConversationStore>();
        }
        else
        {
            services.AddSingleton(store);
        }

        if (redis is null)
        {
            services.AddSingleton<InMemoryConversationLeases>();
            services.AddSingleton<IConversationLeases>(sp => sp.GetRequiredService<InMemoryConversationLeases>());
            services.AddSingleton<IReplyBroker, InMemoryReplyBroker>();
        }
        else
        {
            services.AddSingleton(redis);
            // One connection for everything, so a fault wrapped around it reaches the reply's writes too.
            services.AddSingleton(new ReplyWriteConnection(redis.GetDatabase()));
            services.AddSingleton<RedisConversationChannels>();
            services.AddSingleton<RedisReplyFinalizer>();
            services.AddSingleton<IConversationLeases, RedisConversationLeases>();
            services.AddSingleton<IReplyBroker, RedisReplyBroker>();
        }

        services.AddSingleton<LoadConversationNode>();
        services.AddSingleton<AnnounceTurnNode>();
        services.AddSingleton<StreamReplyNode>();
        services.AddSingleton<SaveTurnNode>();
        services.AddSingleton<ChatTurnFlow>();
        services.AddSingleton<IHostApplicationLifetime, ApplicationLifetime>();
        services.AddSingleton<ReplyCoordinator>();
        services.AddSingleton<BranchSwitcher>();
        _services = services.BuildServiceProvider();
    }

    public ScriptedChatClient Model { get; } = new();

    public ReplyCoordinator Coordinator => _services.GetRequiredService<ReplyCoordinator>();

    public IReplyBroker Broker => _services.GetRequiredService<IReplyBroker>();

    public IConversationLeases Leases => _services.GetRequiredService<IConversationLeases>();

    public BranchSwitcher Switcher => _services.GetRequiredService<BranchSwitcher>();

    public IConversationStore Store => _services.GetRequiredService<IConversationStore>();

    public ApplicationLifetime Lifetime => (ApplicationLifetime)_services.GetRequiredService<IHostApplicationLifetime>();

    public const string Owner = "owner-a";

    public (LiveReply Reply, RecordingObserver Observer) Send(string content, string? conversationId = null, string owner = Owner, string? id = null)
    {
        var observer = new RecordingObserver();
        var reply = Coordinator.Begin(new ChatTurnRequest(owner, content, conversationId, id, null), observer);
        return (reply, observer);
    }

    /// <summary>A regenerate or an edit of <paramref name="messageId"/>.</summary>
    public (LiveReply Reply, RecordingObserver Observer) Branch(TurnKind kind, string conversationId, string messageId, string content = "", string owner = Owner, string? id = null)
    {
        var observer = new RecordingObserver();
        var reply = Coordinator.Begin(new ChatTurnRequest(owner, content, conversationId, id, null, Kind: kind, TargetMessageId: messageId), observer);
        return (reply, observer);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private static T ApplyTo<T>(T options, Action<T>? configure)
    {
        configure?.Invoke(options);
        return options;
    }
}

using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Models;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AspireChat.Tests.Fakes;

/// <summary>The reply coordinator with its real node and store, around a model the test scripts.</summary>
public sealed class ChatHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public ChatHarness(IConversationStore? store = null, Action<ChatServiceOptions>? chat = null, Action<ModelOptions>? model = null, Func<IServiceProvider, IReplyBroker>? broker = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(ApplyTo(new ChatServiceOptions { HistoryWriteRetryWait = TimeSpan.FromMilliseconds(10) }, chat)));
        services.AddSingleton(Options.Create(ApplyTo(new ModelOptions { RetryWait = TimeSpan.FromMilliseconds(10) }, model)));
        services.AddSingleton(Options.Create(new ConversationOptions()));
        services.AddSingleton<IChatClient>(Model);
        if (store is null)
        {
            services.AddSingleton<IConversationStore, InMemoryConversationStore>();
        }
        else
        {
            services.AddSingleton(store);
        }

        services.AddSingleton(Options.Create(new ReplyBrokerOptions()));
        if (broker is null)
        {
            services.AddSingleton<IReplyBroker, InMemoryReplyBroker>();
        }
        else
        {
            services.AddSingleton<IReplyBroker>(broker);
        }

        services.AddSingleton<IHostApplicationLifetime, ApplicationLifetime>();
        services.AddSingleton<ReplyCoordinator>();
        services.AddSingleton<BranchSwitcher>();
        _services = services.BuildServiceProvider();
    }

    public ScriptedChatClient Model { get; } = new();

    public ReplyCoordinator Coordinator => _services.GetRequiredService<ReplyCoordinator>();

    public IReplyBroker Broker => _services.GetRequiredService<IReplyBroker>();

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

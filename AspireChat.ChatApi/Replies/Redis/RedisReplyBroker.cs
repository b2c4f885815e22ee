using System.Diagnostics;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>
/// The broker of replicas: each reply is a Redis stream written by its producer's <see cref="RedisReplyPublisher"/>,
/// live frames go over the conversation's pub/sub channel (sharded or classic: <see cref="RedisConversationChannels"/>) to every <see cref="RedisReplyWatcher"/>, and stop requests
/// go to every instance over one control channel. Any instance can serve any client: no session affinity.
/// </summary>
internal sealed class RedisReplyBroker(
    IConnectionMultiplexer multiplexer,
    ReplyWriteConnection writes,
    IConversationStore store,
    RedisReplyFinalizer finalizer,
    RedisConversationChannels channels,
    IOptions<ReplyOptions> options,
    TimeProvider timeProvider,
    ILogger<RedisReplyBroker> logger) : IReplyBroker, IHostedService, IAsyncDisposable
{
    private static readonly RedisChannel s_stopChannel = RedisChannel.Literal(RedisKeys.StopChannel);
    private readonly List<Action<string, string>> _stopHandlers = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly IDatabase _redis = multiplexer.GetDatabase();
    private Task _subscribing = Task.CompletedTask;
    private ChannelMessageQueue? _stopSubscription;

    public Task PublishAsync(ChatTurn turn, ConversationMessage userMessage)
    {
        ArgumentNullException.ThrowIfNull(turn);
        // Marked alive before the reply starts, so that a client resuming it before its first frames are stored finds
        // its producer; on this client, ahead of every command a watch of it sends from here (the batches go out on
        // another, where a backlog could let a watch overtake it).
        var alive = _redis.StringSetAsync(RedisKeys.ReplyProducer(turn.ConversationId, turn.Reply.MessageId), "1", options.Value.Lease);
        var publisher = new RedisReplyPublisher(writes.Database, channels, options.Value, logger, timeProvider, turn, userMessage, alive);
        turn.Reply.Attach(publisher);
        return SummariseAsync(publisher, turn.Reply.Activity);
    }

    /// <summary>Puts what storing took on the reply span, which ends only once this completes (the turn's <c>Published</c>).</summary>
    private static async Task SummariseAsync(RedisReplyPublisher publisher, Activity? reply)
    {
        try
        {
            await publisher.Completion;
        }
        finally
        {
            publisher.Stored.RecordOn(reply);
        }
    }

    public async Task<(IAsyncDisposable? Watch, ErrorFrame? Error)> WatchAsync(WatchRequest request, IReplyObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var notFound = new ErrorFrame(ErrorCodes.NotFound, "No such conversation or reply.") { ConversationId = request.ConversationId, MessageId = request.MessageId };
        if (request.MessageId is { } messageId)
        {
            // Who the reply belongs to is in its first entry; its last entry says how far it got. Its producer
            // delivers to its own clients before it stores, so a client may hold more than the stream yet: that
            // is fine while the producer is alive.
            var stream = RedisKeys.ReplyStream(request.ConversationId, messageId);
            var first = await _redis.StreamRangeAsync(stream, count: 1).WaitAsync(cancellationToken);
            var live = await _redis.KeyExistsAsync(RedisKeys.ReplyProducer(request.ConversationId, messageId)).WaitAsync(cancellationToken);
            if (first.Length == 0)
            {
                if (!live || !await store.ExistsAsync(request.OwnerId, request.ConversationId, cancellationToken))
                {
                    return (null, notFound);
                }
            }
            else if (RedisReplyFormat.Parse(first[0]) is not { Frame: StartFrame start } stored || stored.OwnerId != request.OwnerId || start.ConversationId != request.ConversationId)
            {
                return (null, notFound);
            }
            else if (await RedisReplyFormat.LastAsync(_redis, stream).WaitAsync(cancellationToken) is { } last && request.LastSeq > last.Seq && (!live || last.Frame is EndFrame))
            {
                return (null, InMemoryReplyBroker.InvalidSeq(request, last.Seq));
            }
        }
        else if (!await store.ExistsAsync(request.OwnerId, request.ConversationId, cancellationToken))
        {
            return (null, notFound);
        }

        var watcher = new RedisReplyWatcher(finalizer, multiplexer, channels, request, observer, options.Value.Lease, timeProvider);
        try
        {
            await watcher.StartAsync(cancellationToken);
            return (watcher, null);
        }
        catch
        {
            await watcher.DisposeAsync();
            throw;
        }
    }

    public async Task<bool> FinalizeAbandonedReplyAsync(string conversationId, CancellationToken cancellationToken) =>
        (string?)await _redis.StringGetAsync(RedisKeys.LatestReply(conversationId)).WaitAsync(cancellationToken) is { } latest
        && await finalizer.FinalizeIfUnfinishedAsync(conversationId, latest, cancellationToken) == FinalizeOutcome.EndedNow;

    // Frame 0 of no reply, delivered live to the conversation's watchers (who are the owner's).
    public Task PublishToWatchersAsync(string conversationId, ServerFrame frame, string? originId, CancellationToken cancellationToken) =>
        _redis.PublishAsync(channels.Of(conversationId), RedisReplyFormat.Envelope(frame, originId)).WaitAsync(cancellationToken);

    public Task RequestStopAsync(string ownerId, string conversationId, CancellationToken cancellationToken) =>
        _redis.PublishAsync(s_stopChannel, $"{ownerId}\n{conversationId}").WaitAsync(cancellationToken);

    public void OnStopRequested(Action<string, string> stop)
    {
        lock (_stopHandlers)
        {
            _stopHandlers.Add(stop);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Redis may be down at start; the subscription is made when it is up, and kept across reconnects.
        _subscribing = SubscribeToStopsAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _subscribing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopSubscription is not null)
        {
            await _stopSubscription.UnsubscribeAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    private async Task SubscribeToStopsAsync(CancellationToken cancellationToken)
    {
        // Once subscribed, the multiplexer subscribes again after every reconnect; stops published while
        // it is disconnected are lost, and the producer's own instance stops the reply anyway.
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                _stopSubscription = await multiplexer.GetSubscriber().SubscribeAsync(s_stopChannel).WaitAsync(cancellationToken);
                _stopSubscription.OnMessage(OnStop);
                return;
            }
            catch (Exception exception) when (exception.IsRedisFault())
            {
                ReplyLog.StopChannelUnavailable(logger, exception);
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, cancellationToken);
            }
        }
    }

    private void OnStop(ChannelMessage message)
    {
        var parts = ((string?)message.Message)?.Split('\n');
        if (parts is not { Length: 2 })
        {
            return;
        }

        Action<string, string>[] handlers;
        lock (_stopHandlers)
        {
            handlers = [.. _stopHandlers];
        }

        foreach (var handler in handlers)
        {
            handler(parts[0], parts[1]);
        }
    }
}

using System.Buffers;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// The broker of replicas: each reply is a Redis stream, live frames go over the conversation's
/// pub/sub channel, the conversation's lease says which reply is streaming and that its producer is
/// alive, and stop requests go to every instance over one control channel. Any instance can serve
/// any client: no session affinity.
/// </summary>
public sealed class RedisReplyBroker(
    IConnectionMultiplexer multiplexer,
    IConversationStore store,
    IOptions<ReplyBrokerOptions> options,
    TimeProvider timeProvider,
    ILogger<RedisReplyBroker> logger) : IReplyBroker, IHostedService, IAsyncDisposable
{
    private readonly List<Action<string, string>> _stopHandlers = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly IDatabase _redis = multiplexer.GetDatabase();
    private Task _subscribing = Task.CompletedTask;
    private ChannelMessageQueue? _stopSubscription;

    public async Task<ClaimResult> ClaimAsync(ChatTurn turn, ConversationMessage userMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        ArgumentNullException.ThrowIfNull(userMessage);
        var conversationId = turn.ConversationId!;
        var messageId = turn.Reply.MessageId;
        var claim = await _redis.ScriptEvaluateAsync(
            RedisReplyScripts.Claim,
            [RedisReplyKeys.Active(conversationId), RedisReplyKeys.Lease(messageId), RedisReplyKeys.Latest(conversationId)],
            [messageId, (long)options.Value.Lease.TotalMilliseconds, (long)(options.Value.Retention + TimeSpan.FromDays(1)).TotalMilliseconds]).WaitAsync(cancellationToken);
        if (claim.Resp2Type == ResultType.Integer)
        {
            return ClaimResult.Busy;
        }

        try
        {
            // The conversation's previous reply: if its producer died, it is finished and saved before this one.
            var result = (string?)claim is { Length: > 0 } previousId && previousId != messageId && await FinalizeIfUnfinishedAsync(previousId, cancellationToken) == Finalized.Now
                ? ClaimResult.ClaimedAfterInterrupted
                : ClaimResult.Claimed;

            var echo = new UserFrame(conversationId, userMessage.Id, messageId, userMessage.Content) { ParentId = userMessage.ParentId };
            await _redis.PublishAsync(RedisChannel.Literal(RedisReplyKeys.Channel(conversationId)), RedisReplyFormat.Envelope(0, messageId, turn.OriginId, echo)).WaitAsync(cancellationToken);
            return result;
        }
        catch
        {
            // The message is refused: the conversation must not stay busy until the lease lapses.
            await ReleaseQuietlyAsync(conversationId, messageId);
            throw;
        }
    }

    public Task Publish(ChatTurn turn, ConversationMessage userMessage)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var publisher = new RedisReplyPublisher(_redis, options.Value, logger, timeProvider, turn, userMessage);
        // First: the end releases the conversation in Redis before the client's socket is handed the end.
        turn.Reply.AttachFirst(publisher);
        return publisher.Completion;
    }

    public async Task<(IAsyncDisposable? Watch, ErrorFrame? Error)> WatchAsync(WatchRequest request, IReplyObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var notFound = new ErrorFrame(ErrorCodes.NotFound, "No such conversation or reply.") { ConversationId = request.ConversationId, MessageId = request.MessageId };
        if (request.MessageId is { } messageId)
        {
            // Who the reply belongs to is in its first entry; its last entry says how far it got.
            // Its producer delivers to its own clients before it stores, so a client may hold more
            // than the stream yet: that is fine while the producer is alive.
            var key = RedisReplyKeys.Stream(messageId);
            var first = await _redis.StreamRangeAsync(key, count: 1).WaitAsync(cancellationToken);
            var live = await _redis.KeyExistsAsync(RedisReplyKeys.Lease(messageId)).WaitAsync(cancellationToken);
            if (first.Length == 0)
            {
                if (!live || await store.GetAsync(request.OwnerId, request.ConversationId, cancellationToken) is null)
                {
                    return (null, notFound);
                }
            }
            else if (RedisReplyFormat.Parse(first[0]) is not { Frame: StartFrame start } stored || stored.OwnerId != request.OwnerId || start.ConversationId != request.ConversationId)
            {
                return (null, notFound);
            }
            else if (await RedisReplyFormat.LastAsync(_redis, key).WaitAsync(cancellationToken) is { } last && request.LastSeq > last.Seq && (!live || last.Frame is EndFrame))
            {
                return (null, InMemoryReplyBroker.InvalidSeq(request, last.Seq));
            }
        }
        else if (await store.GetAsync(request.OwnerId, request.ConversationId, cancellationToken) is null)
        {
            return (null, notFound);
        }

        var watcher = new RedisReplyWatcher(this, multiplexer, request, observer, options.Value.Lease, timeProvider);
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
        (string?)await _redis.StringGetAsync(RedisReplyKeys.Latest(conversationId)).WaitAsync(cancellationToken) is { } latest
        && await FinalizeIfUnfinishedAsync(latest, cancellationToken) == Finalized.Now;

    public Task PublishFrameAsync(string ownerId, string conversationId, ServerFrame frame, string? originId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        // Like a user message: frame 0 of no reply, delivered live to the watchers (who are the owner's).
        return _redis.PublishAsync(RedisChannel.Literal(RedisReplyKeys.Channel(conversationId)), RedisReplyFormat.Envelope(0, conversationId, originId, frame)).WaitAsync(cancellationToken);
    }

    public Task RequestStopAsync(string ownerId, string conversationId, CancellationToken cancellationToken) =>
        _redis.PublishAsync(StopChannel, $"{ownerId}\n{conversationId}").WaitAsync(cancellationToken);

    public void OnStopRequested(Action<string, string> stop)
    {
        lock (_stopHandlers)
        {
            _stopHandlers.Add(stop);
        }
    }

    /// <summary>
    /// Ends a reply whose producer is gone: one instance (elected with SET NX) saves the turn with what
    /// was streamed, marked <c>interrupted</c>, then stores and publishes the end.
    /// </summary>
    internal async Task<Finalized> FinalizeIfUnfinishedAsync(string messageId, CancellationToken cancellationToken)
    {
        var key = RedisReplyKeys.Stream(messageId);
        // Cheap checks first: this runs for every new message in a conversation.
        if (await RedisReplyFormat.LastAsync(_redis, key).WaitAsync(cancellationToken) is not { } last)
        {
            return Finalized.Missing;
        }

        if (last.Frame is EndFrame || await _redis.KeyExistsAsync(RedisReplyKeys.Lease(messageId)).WaitAsync(cancellationToken))
        {
            return Finalized.Already;
        }

        var frames = (await _redis.StreamRangeAsync(key).WaitAsync(cancellationToken)).Select(RedisReplyFormat.Parse).ToList();
        if (frames.Count == 0 || frames[0] is not { Frame: StartFrame start, OwnerId: { } ownerId, UserMessage: { } userMessage })
        {
            return Finalized.Missing;
        }

        if (frames[^1].Frame is EndFrame
            || !await _redis.StringSetAsync(RedisReplyKeys.Finalizer(messageId), "1", options.Value.Lease * 2, When.NotExists).WaitAsync(cancellationToken))
        {
            return Finalized.Already;
        }

        var text = string.Concat(frames.Select(f => f.Frame).OfType<ChunkFrame>().Select(c => c.Content));
        ReplyLog.FinalizingInterrupted(logger, messageId, frames[^1].Seq);
        var end = new EndFrame(start.ConversationId, messageId, start.ReplyTo, FinishReasons.Interrupted, null);
        List<(ServerFrame Frame, long Seq)> tail = [];
        try
        {
            // Same ids as the producer would have used: if it comes back, its own write is a no-op.
            // The model is known from the start frame; the producer's span was never exported (it died), so no trace to name.
            var assistant = new ConversationMessage(messageId, MessageRoles.Assistant, text, timeProvider.GetUtcNow(), FinishReasons.Interrupted, Model: start.Model);
            await store.AppendTurnAsync(ownerId, start.ConversationId, userMessage, assistant, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            ReplyLog.ReplyWriteFailed(logger, exception, messageId);
            tail.Add((new ErrorFrame(ErrorCodes.HistoryNotSaved, "The reply was interrupted and could not be saved to history.") { ConversationId = start.ConversationId, MessageId = messageId, ReplyTo = start.ReplyTo }, frames[^1].Seq));
        }

        tail.Add((end, frames[^1].Seq));
        // Stored and published as the producer would have, keeping the retention, and the conversation released.
        var arguments = RedisReplyScripts.StoreArguments(tail.Count, options.Value.MaxStreamLength, options.Value.Retention, RedisReplyKeys.Channel(start.ConversationId), messageId, null, null);
        var message = new ArrayBufferWriter<byte>();
        var n = frames[^1].N;
        for (var i = 0; i < tail.Count; i++)
        {
            n++;
            var json = RedisReplyFormat.Json(tail[i].Frame);
            RedisReplyScripts.SetFrame(arguments, i, n, json, tail[i].Seq);
            RedisReplyFormat.AppendEnvelope(message, n, messageId, null, json);
        }

        RedisReplyScripts.SetMessage(arguments, message.WrittenMemory);
        await RedisReplyScripts.StoreAsync(_redis, key, RedisReplyKeys.Active(start.ConversationId), arguments).WaitAsync(cancellationToken);
        return Finalized.Now;
    }

    internal enum Finalized
    {
        /// <summary>The reply is not in Redis (expired, or lost in a restart without persistence).</summary>
        Missing,

        /// <summary>It had ended, or another instance is ending it.</summary>
        Already,

        /// <summary>Ended and saved by this call.</summary>
        Now,
    }

    private async Task ReleaseQuietlyAsync(string conversationId, string messageId)
    {
        try
        {
            await _redis.ScriptEvaluateAsync(RedisReplyScripts.Release, [RedisReplyKeys.Active(conversationId), RedisReplyKeys.Lease(messageId)], [messageId]);
        }
        catch (Exception exception) when (exception.IsRedisFault())
        {
            // Then the claim lapses by itself.
            ReplyLog.ReplyWriteFailed(logger, exception, messageId);
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

    private static RedisChannel StopChannel { get; } = RedisChannel.Literal(RedisReplyKeys.StopChannel);

    private async Task SubscribeToStopsAsync(CancellationToken cancellationToken)
    {
        // Once subscribed, the multiplexer subscribes again after every reconnect; stops published while
        // it is disconnected are lost, and the producer's own instance stops the reply anyway.
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                _stopSubscription = await multiplexer.GetSubscriber().SubscribeAsync(StopChannel).WaitAsync(cancellationToken);
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

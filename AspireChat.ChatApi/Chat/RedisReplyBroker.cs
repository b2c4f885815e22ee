using System.Buffers;
using System.Text;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// The broker of replicas: each reply is a Redis stream, live frames go over the conversation's
/// pub/sub channel, the conversation's lease says which reply is streaming and that its producer is
/// alive, and stop requests go to every instance over one control channel. Any instance can serve
/// any client: no session affinity.
/// </summary>
public sealed class RedisReplyBroker(
    IRedisClient redis,
    IConversationStore store,
    IOptions<ReplyBrokerOptions> options,
    TimeProvider timeProvider,
    ILogger<RedisReplyBroker> logger) : IReplyBroker, IHostedService, IAsyncDisposable
{
    // Claims the conversation (SET NX), starts the reply's lease and records it as the conversation's
    // latest reply, in one round trip before the first chunk instead of three. KEYS: active, lease,
    // latest. ARGV: message id, lease ms, latest's time to live ms. Returns 0 when the conversation is
    // busy, else the previous latest reply's id ("" when there was none).
    private static readonly RedisScript ClaimScript = new("""
        if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
        return redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[3], 'GET') or ''
        """);

    private readonly List<Action<string, string>> _stopHandlers = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _subscribing = Task.CompletedTask;
    private IAsyncDisposable? _stopSubscription;

    public async Task<ClaimResult> ClaimAsync(ChatTurn turn, ConversationMessage userMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        ArgumentNullException.ThrowIfNull(userMessage);
        var conversationId = turn.ConversationId!;
        var messageId = turn.Reply.MessageId;
        var claim = await redis.EvalShaAsync(
            ClaimScript,
            [RedisReplyKeys.Active(conversationId), RedisReplyKeys.Lease(messageId), RedisReplyKeys.Latest(conversationId)],
            [messageId, (long)options.Value.Lease.TotalMilliseconds, (long)(options.Value.Retention + TimeSpan.FromDays(1)).TotalMilliseconds],
            cancellationToken);
        if (claim.Type == RespType.Number)
        {
            return ClaimResult.Busy;
        }

        try
        {
            // The conversation's previous reply: if its producer died, it is finished and saved before this one.
            var result = claim.AsString() is { Length: > 0 } previousId && previousId != messageId && await FinalizeIfUnfinishedAsync(previousId, cancellationToken) == Finalized.Now
                ? ClaimResult.ClaimedAfterInterrupted
                : ClaimResult.Claimed;

            var echo = new UserFrame(conversationId, userMessage.Id, messageId, userMessage.Content);
            await redis.PublishAsync(RedisReplyKeys.Channel(conversationId), RedisReplyFormat.Envelope(0, messageId, turn.OriginId, echo), cancellationToken);
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
        var publisher = new RedisReplyPublisher(redis, options.Value, logger, timeProvider, turn, userMessage);
        turn.Reply.Attach(publisher);
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
            var first = await redis.XRangeAsync(key, "-", "+", 1, cancellationToken);
            var live = await redis.GetAsync(RedisReplyKeys.Lease(messageId), cancellationToken) is not null;
            if (first.Count == 0)
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
            else if (await RedisReplyFormat.LastAsync(redis, key, cancellationToken) is { } last && request.LastSeq > last.Seq && (!live || last.Frame is EndFrame))
            {
                return (null, InMemoryReplyBroker.InvalidSeq(request, last.Seq));
            }
        }
        else if (await store.GetAsync(request.OwnerId, request.ConversationId, cancellationToken) is null)
        {
            return (null, notFound);
        }

        var watcher = new RedisReplyWatcher(this, redis, request, observer, options.Value.Lease, timeProvider);
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
        await redis.GetAsync(RedisReplyKeys.Latest(conversationId), cancellationToken) is { } latest
        && await FinalizeIfUnfinishedAsync(Encoding.UTF8.GetString(latest), cancellationToken) == Finalized.Now;

    public Task RequestStopAsync(string ownerId, string conversationId, CancellationToken cancellationToken) =>
        redis.PublishAsync(RedisReplyKeys.StopChannel, $"{ownerId}\n{conversationId}", cancellationToken);

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
        if (await RedisReplyFormat.LastAsync(redis, key, cancellationToken) is not { } last)
        {
            return Finalized.Missing;
        }

        if (last.Frame is EndFrame || await redis.GetAsync(RedisReplyKeys.Lease(messageId), cancellationToken) is not null)
        {
            return Finalized.Already;
        }

        var frames = (await redis.XRangeAsync(key, "-", "+", null, cancellationToken)).Select(RedisReplyFormat.Parse).ToList();
        if (frames.Count == 0 || frames[0] is not { Frame: StartFrame start, OwnerId: { } ownerId, UserMessage: { } userMessage })
        {
            return Finalized.Missing;
        }

        if (frames[^1].Frame is EndFrame
            || !await redis.SetAsync(RedisReplyKeys.Finalizer(messageId), "1", options.Value.Lease * 2, onlyIfNotExists: true, cancellationToken))
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
            var assistant = new ConversationMessage(messageId, MessageRoles.Assistant, text, timeProvider.GetUtcNow(), FinishReasons.Interrupted);
            await store.AppendTurnAsync(ownerId, start.ConversationId, userMessage, assistant, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            ReplyLog.ReplyWriteFailed(logger, exception, messageId);
            tail.Add((new ErrorFrame(ErrorCodes.HistoryNotSaved, "The reply was interrupted and could not be saved to history.") { ConversationId = start.ConversationId, MessageId = messageId, ReplyTo = start.ReplyTo }, frames[^1].Seq));
        }

        tail.Add((end, frames[^1].Seq));
        List<RedisCommand> commands = [];
        var message = new ArrayBufferWriter<byte>();
        var n = frames[^1].N;
        foreach (var (frame, seq) in tail)
        {
            n++;
            var json = RedisReplyFormat.Json(frame);
            commands.Add(RedisReplyFormat.XAdd(key, options.Value.MaxStreamLength, n, json, seq));
            RedisReplyFormat.AppendEnvelope(message, n, messageId, null, json);
        }

        commands.Add(new RedisCommand("PUBLISH", RedisReplyKeys.Channel(start.ConversationId), message.WrittenMemory));

        commands.Add(RedisCommands.PExpire(key, options.Value.Retention));
        commands.Add(new RedisCommand("EVAL", RedisReplyPublisher.ReleaseScript, 1, RedisReplyKeys.Active(start.ConversationId), messageId));
        await redis.TransactionAsync(commands, cancellationToken);
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
            await redis.TransactionAsync(
            [
                new RedisCommand("EVAL", RedisReplyPublisher.ReleaseScript, 1, RedisReplyKeys.Active(conversationId), messageId),
                new RedisCommand("DEL", RedisReplyKeys.Lease(messageId)),
            ], CancellationToken.None);
        }
        catch (RedisException exception)
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
            await _stopSubscription.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private async Task SubscribeToStopsAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                _stopSubscription = await redis.SubscribeAsync(RedisReplyKeys.StopChannel, OnStop, cancellationToken);
                return;
            }
            catch (RedisException exception)
            {
                ReplyLog.StopChannelUnavailable(logger, exception);
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, cancellationToken);
            }
        }
    }

    private void OnStop(RedisChannelMessage message)
    {
        var parts = Encoding.UTF8.GetString(message.Payload.Span).Split('\n');
        if (parts.Length != 2)
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

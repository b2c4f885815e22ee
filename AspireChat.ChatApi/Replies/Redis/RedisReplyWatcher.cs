using System.Threading.Channels;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>
/// One connection watching one conversation through Redis, with no blocking command (the multiplexer
/// has none): pub/sub says when there is something new, and the reply streams are read with plain
/// XRANGE. It subscribes to the conversation's channel first, then reads from the reply streams what it
/// missed, then takes published frames, dropping those it already delivered: every frame exactly once,
/// in order. A published frame that skips ahead (messages lost while the subscriber reconnected) makes
/// it read the stream again; so does a reply that stays silent, as a safety net for a lost last
/// message, before its lease is checked: a lapsed lease means the producer died, and the reply is
/// finalized as <c>interrupted</c>. Redis going away during the catch-up does not end the watch: the
/// catch-up is finished once Redis answers.
/// </summary>
internal sealed partial class RedisReplyWatcher(RedisReplyFinalizer finalizer, IConnectionMultiplexer multiplexer, RedisConversationChannels channels, WatchRequest request, IReplyObserver observer, TimeSpan lease, TimeProvider timeProvider)
    : IAsyncDisposable
{
    private readonly IDatabase _redis = multiplexer.GetDatabase();
    private readonly TimeSpan _checkEvery = lease / 2;
    private static readonly ReplyEnvelope s_tick = new(-1, "", "", new BranchFrame("", ""));
    private readonly Channel<ReplyEnvelope> _inbox = Channel.CreateUnbounded<ReplyEnvelope>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, Progress> _replies = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _disposed = new();
    private ChannelMessageQueue? _subscription;
    private Task _loop = Task.CompletedTask;

    /// <summary>Subscribes, catches up, and starts following the conversation live.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A queue of its own: messages in the order Redis sent them, handled one at a time.
        _subscription = await multiplexer.GetSubscriber().SubscribeAsync(channels.Of(request.ConversationId)).WaitAsync(cancellationToken);
        _subscription.OnMessage(OnPublished);
        var caughtUp = false;
        try
        {
            await CatchUpOnStartAsync(cancellationToken);
            caughtUp = true;
        }
        catch (Exception exception) when (exception.IsRedisFault())
        {
            // Redis went away in the middle of the catch-up, and the client may hold part of it already:
            // the watch goes on, and finishes the catch-up once Redis answers, before anything live.
        }

        _loop = RunAsync(caughtUp, _disposed.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync();
        if (_subscription is not null)
        {
            // Completes the queue's loop; with Redis away the unsubscribe itself may fail, and the
            // multiplexer then does not subscribe the channel again for this queue.
            await _subscription.UnsubscribeAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _inbox.Writer.TryComplete();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _disposed.Dispose();
    }

    private void OnPublished(ChannelMessage message)
    {
        // Only queue: the watch loop does the rest.
        foreach (var envelope in RedisReplyFormat.ParseEnvelopes(((ReadOnlyMemory<byte>)message.Message).Span))
        {
            _inbox.Writer.TryWrite(envelope);
        }
    }

    /// <summary>The reply the client names, after its last seq; then the reply streaming now, if it is another.</summary>
    private async Task CatchUpOnStartAsync(CancellationToken cancellationToken)
    {
        // Safe to repeat: a catch-up goes on from the last frame it delivered.
        if (request.MessageId is { } messageId)
        {
            await CatchUpAsync(messageId, request.LastSeq, cancellationToken);
        }

        // The reply resumed is not "another" even when its stream was still empty: its client has its user message.
        if ((string?)await _redis.StringGetAsync(RedisKeys.ConversationLease(request.ConversationId)).WaitAsync(cancellationToken) is { } activeId
            && activeId != request.MessageId && !_replies.ContainsKey(activeId))
        {
            await CatchUpAsync(activeId, 0, cancellationToken, withUserMessage: true);
        }
    }

    private async Task RunAsync(bool caughtUp, CancellationToken cancellationToken)
    {
        try
        {
            for (var wait = TimeSpan.FromMilliseconds(100); !caughtUp; wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, _checkEvery.Ticks)))
            {
                await Task.Delay(wait, timeProvider, cancellationToken);
                try
                {
                    await CatchUpOnStartAsync(cancellationToken);
                    caughtUp = true;
                }
                catch (Exception exception) when (exception.IsRedisFault())
                {
                    // Still away: try again, less often.
                }
            }

            // One timer for the watch's life, not one per message: every half of the check period it asks the loop to look
            // at the replies that have gone quiet.
            await using var ticks = timeProvider.CreateTimer(static state => ((RedisReplyWatcher)state!)._inbox.Writer.TryWrite(s_tick), this, _checkEvery / 2, _checkEvery / 2);
            while (!cancellationToken.IsCancellationRequested)
            {
                var envelope = await _inbox.Reader.ReadAsync(cancellationToken);
                if (ReferenceEquals(envelope, s_tick))
                {
                    await CheckLeasesAsync(cancellationToken);
                    continue;
                }

                try
                {
                    if (!await HandleAsync(envelope, cancellationToken))
                    {
                        return;
                    }
                }
                catch (Exception exception) when (exception.IsRedisFault() && envelope.FrameNumber > 0)
                {
                    // The stream cannot be read right now (Redis is coming back): the next frame, or
                    // the lease check once the reply is quiet, reads it again.
                    if (!_replies.ContainsKey(envelope.MessageId))
                    {
                        Track(envelope.MessageId, 0);
                    }
                }
            }
        }
        catch (Exception exception) when (exception is ChannelClosedException || (exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // Disposed.
        }
    }

    /// <summary>Delivers one published frame unless it was delivered already; false when the observer is gone.</summary>
    private async Task<bool> HandleAsync(ReplyEnvelope envelope, CancellationToken cancellationToken)
    {
        if (envelope.Origin == request.OriginId)
        {
            // This connection's own turn: it has the user message, and the reply reaches it directly.
            return true;
        }

        if (envelope.FrameNumber == 0)
        {
            // A user message or a branch switch from another connection (tabs); not the user message of the reply this
            // client resumes, which it has (on a cluster the resume can come before the reply's first frames are stored).
            return envelope.MessageId == request.MessageId || observer.TryDeliver(envelope.Frame);
        }

        var progress = _replies.GetValueOrDefault(envelope.MessageId);
        var delivered = progress?.FrameNumber ?? 0;
        if (envelope.FrameNumber <= delivered)
        {
            return true;
        }

        if (envelope.FrameNumber == delivered + 1)
        {
            return Deliver(envelope.MessageId, envelope.FrameNumber, envelope.Frame);
        }

        // Frames are missing in between: the stream has them (all of them, for a reply not seen before).
        return await CatchUpAsync(envelope.MessageId, 0, cancellationToken, withUserMessage: progress is null);
    }

    /// <summary>
    /// Delivers what the reply's stream holds past what was delivered (and past <paramref name="afterSeq"/>
    /// for chunks); <paramref name="withUserMessage"/>: a reply found by watching is told with the user message it answers.
    /// </summary>
    private async Task<bool> CatchUpAsync(string messageId, long afterSeq, CancellationToken cancellationToken, bool withUserMessage = false)
    {
        var progress = _replies.GetValueOrDefault(messageId);
        // XRANGE key (0-n +: what follows the last frame delivered.
        RedisValue? start = progress is null ? default(RedisValue?) : "(" + RedisKeys.EntryId(progress.FrameNumber);
        var entries = await _redis.StreamRangeAsync(RedisKeys.ReplyStream(request.ConversationId, messageId), start).WaitAsync(cancellationToken);
        foreach (var entry in entries.Select(RedisReplyFormat.Parse))
        {
            if (entry.Origin is { } origin && origin == request.OriginId)
            {
                // The first entry names the connection that asked for the reply: that is this one, which has it directly.
                return true;
            }

            if (withUserMessage && entry is { Frame: StartFrame started, UserMessage: { } user }
                && !observer.TryDeliver(new UserFrame(started.ConversationId, user.Id, messageId, user.Content) { ParentId = user.ParentId }))
            {
                return false;
            }

            var skip = entry.Frame is ChunkFrame chunk && chunk.Seq <= afterSeq;
            if (skip)
            {
                Track(messageId, entry.FrameNumber);
            }
            else if (!Deliver(messageId, entry.FrameNumber, entry.Frame))
            {
                return false;
            }
        }

        return true;
    }

    private bool Deliver(string messageId, long frameNumber, ServerFrame frame)
    {
        var progress = Track(messageId, frameNumber);
        progress.Ended |= frame is EndFrame;
        return observer.TryDeliver(frame);
    }

    private Progress Track(string messageId, long frameNumber)
    {
        if (!_replies.TryGetValue(messageId, out var progress))
        {
            _replies[messageId] = progress = new Progress();
        }

        progress.FrameNumber = frameNumber;
        progress.LastHeard = timeProvider.GetUtcNow();
        progress.ProducerMissed = false;
        return progress;
    }
}

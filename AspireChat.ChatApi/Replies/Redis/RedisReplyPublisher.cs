using System.Threading.Channels;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>
/// The producer's side of a reply in Redis. Observes the <see cref="LiveReply"/> like any client, so it never slows
/// the model: frames are queued, then written in order, a batch at a time (every frame queued since the last write),
/// by <see cref="RedisReplyScripts.Store"/>: an XADD per frame to the reply's stream, then one PUBLISH (or SPUBLISH) of the batch
/// to the conversation's channel. Holds the reply's producer lease (set with the first batch, renewed every third of
/// <see cref="ReplyOptions.Lease"/>, deleted once the end is stored), so nobody takes the reply for dead while it
/// catches up. While Redis is unreachable it keeps the frames and retries; when Redis is back it writes whatever the
/// stream lacks (a Redis that restarted empty gets the whole reply again).
/// </summary>
internal sealed class RedisReplyPublisher : IReplyObserver
{
    private readonly IDatabase _redis;
    private readonly RedisConversationChannels _channels;
    private readonly ReplyOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly string _ownerId;
    private readonly string _messageId;
    private readonly string _origin;
    private readonly byte[] _userJson;
    private readonly RedisKey _stream;
    private readonly RedisKey _lease;
    private readonly RedisKey _producer;
    private readonly string _channel;
    private readonly Channel<ServerFrame> _queue = Channel.CreateUnbounded<ServerFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    // Every frame so far with the seq of the last chunk at it: a Redis that lost the stream gets it all again.
    private readonly List<(ServerFrame Frame, long Seq)> _frames = [];
    private byte[]? _echo;

    /// <summary>
    /// Writes on <paramref name="redis"/> (<see cref="ReplyWriteConnection"/>) once <paramref name="alive"/>, the
    /// producer's lease the broker set before the reply started, is done; the first batch sets it again should that fail.
    /// </summary>
    public RedisReplyPublisher(IDatabase redis, RedisConversationChannels channels, ReplyOptions options, ILogger logger, TimeProvider timeProvider, ChatTurn turn, ConversationMessage userMessage, Task alive)
    {
        _redis = redis;
        _channels = channels;
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        _ownerId = turn.OwnerId;
        _messageId = turn.Reply.MessageId;
        _origin = turn.OriginId ?? RedisReplyFormat.NoOrigin;
        _userJson = RedisReplyFormat.UserJson(userMessage);
        _echo = RedisReplyFormat.Json(new UserFrame(turn.ConversationId, userMessage.Id, _messageId, userMessage.Content) { ParentId = userMessage.ParentId });
        _stream = RedisKeys.ReplyStream(turn.ConversationId, _messageId);
        _lease = RedisKeys.ConversationLease(turn.ConversationId);
        _producer = RedisKeys.ReplyProducer(turn.ConversationId, _messageId);
        _channel = RedisKeys.ConversationChannel(turn.ConversationId);
        Completion = RunAsync(alive);
    }

    /// <summary>Completes once the end is stored and the producer lease deleted, or the writes were given up.</summary>
    public Task Completion { get; }

    /// <summary>What storing the reply took, for the reply span; complete once <see cref="Completion"/> is.</summary>
    public RedisReplyStoreSummary Stored { get; } = new();

    public bool TryDeliver(ServerFrame frame)
    {
        _queue.Writer.TryWrite(frame);
        // The end, or a refusal before the start: nothing follows.
        if (frame is EndFrame || (frame is ErrorFrame { MessageId: null }))
        {
            _queue.Writer.TryComplete();
        }

        return true;
    }

    private async Task RunAsync(Task alive)
    {
        try
        {
            await alive;
        }
        catch (Exception exception) when (exception.IsRedisFault())
        {
            // The first batch sets it again.
            ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
        }

        using var stopRenewing = new CancellationTokenSource();
        var renewing = RenewAsync(stopRenewing.Token);
        var stored = 0;
        var verify = false;
        var ended = false;
        var seq = 0L;
        try
        {
            while (await _queue.Reader.WaitToReadAsync())
            {
                while (_queue.Reader.TryRead(out var frame))
                {
                    seq = frame is ChunkFrame chunk ? chunk.Seq : seq;
                    _frames.Add((frame, seq));
                    ended |= frame is EndFrame;
                }

                (stored, verify) = await WriteAsync(stored, verify);
            }
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewing;
        }

        if (stored == _frames.Count)
        {
            await FinishAsync(ended);
        }
    }

    /// <summary>Writes the frames after <paramref name="stored"/>, retrying while Redis is away. Returns how many are stored.</summary>
    private async Task<(int Stored, bool Verify)> WriteAsync(int stored, bool verify)
    {
        var giveUpAt = _timeProvider.GetUtcNow() + _options.WriteRetryTime;
        var wait = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                if (verify)
                {
                    // After a failure the stream may hold more than we know (the script ran, its reply was lost) or nothing (Redis restarted empty).
                    stored = (int)((await RedisReplyFormat.LastAsync(_redis, _stream))?.FrameNumber ?? 0);
                    verify = false;
                }

                if (stored >= _frames.Count)
                {
                    return (stored, false);
                }

                var batch = Batch(stored);
                var sent = _timeProvider.GetTimestamp();
                await _redis.ScriptEvaluateAsync(RedisReplyScripts.Store, batch);
                Stored.Appended(_frames.Count - stored, batch.Frames.Length, _timeProvider.GetElapsedTime(sent));
                _echo = null;
                return (_frames.Count, false);
            }
            catch (Exception exception) when (exception.IsRedisFault())
            {
                ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
                Stored.Failed();
                verify = true;
                if (_timeProvider.GetUtcNow() >= giveUpAt)
                {
                    return (stored, true);
                }

                await Task.Delay(wait, _timeProvider);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            }
        }
    }

    /// <summary>
    /// The script's parameters for the frames after <paramref name="stored"/>. The batch that starts the stream (again,
    /// after Redis lost it) gives its first entry the owner, the user message and the origin, for a resume and for
    /// ending the reply elsewhere should this instance die; sets the stream's time to live, since a stream nobody ends
    /// (its producer and every watcher gone) must still go, and later XADDs keep it; and sets the producer lease. The
    /// very first batch also publishes the user message to the conversation's watchers.
    /// </summary>
    private StoreParameters Batch(int stored)
    {
        var batch = RedisReplyBatch.Of(_frames, stored);
        var parameters = new StoreParameters(_stream, _lease, _producer, _channel, _channels.PublishCommand, _messageId, _origin, stored + 1, batch.Frames, batch.Seqs, _options.MaxStreamLength, Echo: _echo ?? default(ReadOnlyMemory<byte>));
        return stored > 0 ? parameters : parameters with
        {
            StreamMs = (long)(_options.Retention + TimeSpan.FromDays(1)).TotalMilliseconds,
            ProducerMs = (long)_options.Lease.TotalMilliseconds,
            Owner = _ownerId,
            User = _userJson,
        };
    }

    private async Task FinishAsync(bool ended)
    {
        try
        {
            // A reply that never started (refused, or broken before its start) leaves nothing to resume: the stream goes.
            await _redis.ScriptEvaluateAsync(RedisReplyScripts.Finish, new FinishParameters(_stream, _producer, ended ? "1" : "0", (long)_options.Retention.TotalMilliseconds));
        }
        catch (Exception exception) when (exception.IsRedisFault())
        {
            // The producer lease lapses by itself; watchers find the end in the stream.
            ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var period = _options.Lease / 3;
        while (true)
        {
            // Cancelled at every reply's end: awaited without throwing, since a TaskCanceledException per reply
            // showed in the benchmark's counters.
            await Task.Delay(period, _timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await _redis.StringSetAsync(_producer, "1", _options.Lease);
            }
            catch (Exception exception) when (exception.IsRedisFault())
            {
                ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
            }
        }
    }
}

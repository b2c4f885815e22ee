using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// The producer's side of a reply in Redis. Observes the <see cref="LiveReply"/> like any client,
/// so it never slows the model: frames are queued, then written in order, each as an XADD to the
/// reply's stream, then one PUBLISH of them all to the conversation's channel, in one script
/// (<see cref="RedisReplyScripts"/>: a frame is never published before it is stored). Renews its claim on the conversation until the
/// end (then the conversation takes the next message), and the reply's own lease until every frame
/// is stored (so nobody takes it for dead while it catches up). While Redis is unreachable it keeps the frames and
/// retries; when Redis is back it writes whatever the stream lacks (a Redis that restarted empty
/// gets the whole reply again).
/// </summary>
internal sealed class RedisReplyPublisher : IReplyObserver
{
    private readonly IDatabase _redis;
    private readonly ReplyBrokerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly string _ownerId;
    private readonly string _conversationId;
    private readonly string _messageId;
    private readonly string? _origin;
    private readonly ConversationMessage _userMessage;
    // Made once for the reply's every batch.
    private readonly RedisKey _stream;
    private readonly RedisKey _active;
    private readonly RedisKey _lease;
    private readonly RedisValue _channel;
    private readonly Channel<ServerFrame> _queue = Channel.CreateUnbounded<ServerFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly List<(ServerFrame Frame, long Seq)> _frames = [];
    private long _seq;
    private volatile bool _ended;

    public RedisReplyPublisher(IDatabase redis, ReplyBrokerOptions options, ILogger logger, TimeProvider timeProvider, ChatTurn turn, ConversationMessage userMessage)
    {
        _redis = redis;
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        _ownerId = turn.OwnerId;
        _conversationId = turn.ConversationId!;
        _messageId = turn.Reply.MessageId;
        _origin = turn.OriginId;
        _userMessage = userMessage;
        _stream = RedisReplyKeys.Stream(_messageId);
        _active = RedisReplyKeys.Active(_conversationId);
        _lease = RedisReplyKeys.Lease(_messageId);
        _channel = RedisReplyKeys.Channel(_conversationId);
        Completion = RunAsync();
    }

    /// <summary>Completes once the end is stored and the lease released, or the writes were given up.</summary>
    public Task Completion { get; }

    public bool TryDeliver(ServerFrame frame)
    {
        _queue.Writer.TryWrite(frame);
        // The end, or a refusal before the start: nothing follows.
        if (frame is EndFrame || (frame is ErrorFrame { MessageId: null }))
        {
            _queue.Writer.TryComplete();
            // The conversation takes its next message now, as it does on this instance; the reply's own
            // lease still says its producer is alive until the rest of its frames are stored.
            _ended = true;
            _ = ReleaseConversationAsync();
        }

        return true;
    }

    private async Task RunAsync()
    {
        await Task.Yield();
        using var stopRenewing = new CancellationTokenSource();
        var renewing = RenewAsync(stopRenewing.Token);
        var stored = 0L;
        var verify = false;
        var ended = false;
        try
        {
            while (await _queue.Reader.WaitToReadAsync())
            {
                while (_queue.Reader.TryRead(out var frame))
                {
                    _seq = frame is ChunkFrame chunk ? chunk.Seq : _seq;
                    _frames.Add((frame, _seq));
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
    private async Task<(long Stored, bool Verify)> WriteAsync(long stored, bool verify)
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
                    stored = (await RedisReplyFormat.LastAsync(_redis, _stream))?.N ?? 0;
                    verify = false;
                }

                if (stored >= _frames.Count)
                {
                    return (stored, false);
                }

                await RedisReplyScripts.StoreAsync(_redis, _stream, _active, Batch(stored));
                return (_frames.Count, false);
            }
            catch (Exception exception) when (exception.IsRedisFault())
            {
                ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
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
    /// The arguments of the script that stores the frames after <paramref name="stored"/> and publishes
    /// them as one message (several frames when tokens come faster than a round trip), and sets the
    /// stream's time to live when it creates it.
    /// </summary>
    private RedisValue[] Batch(long stored)
    {
        var count = (int)(_frames.Count - stored);
        // A stream nobody ends (its producer and every watcher gone) still goes away. Set when the stream
        // is created (or written again from its start after Redis lost it): later XADDs keep a key's time
        // to live, so the frames after it need none of their own. The first entry also holds the owner and
        // the user message, for a resume and for ending the reply elsewhere should this instance die.
        var arguments = stored == 0
            ? RedisReplyScripts.StoreArguments(count, _options.MaxStreamLength, _options.Retention + TimeSpan.FromDays(1), _channel, null, _ownerId, RedisReplyFormat.UserJson(_userMessage))
            : RedisReplyScripts.StoreArguments(count, _options.MaxStreamLength, null, _channel, null, null, null);
        // The frames as JSON back to back in one buffer, which the entries and the message slice; both
        // buffers sized for the usual chunk (under 200 bytes) so they rarely grow.
        var json = new ArrayBufferWriter<byte>(count * 192);
        var message = new ArrayBufferWriter<byte>(count * 256);
        var ends = new int[count];
        using (var writer = new Utf8JsonWriter(json))
        {
            for (var i = 0; i < count; i++)
            {
                ServerFrameJson.Write(writer, _frames[(int)stored + i].Frame);
                writer.Flush();
                ends[i] = json.WrittenCount;
                writer.Reset(json);
            }
        }

        for (var i = 0; i < count; i++)
        {
            var n = stored + i + 1;
            var frameJson = json.WrittenMemory[(i == 0 ? 0 : ends[i - 1])..ends[i]];
            RedisReplyScripts.SetFrame(arguments, i, n, frameJson, _frames[(int)n - 1].Seq);
            RedisReplyFormat.AppendEnvelope(message, n, _messageId, _origin, frameJson.Span);
        }

        RedisReplyScripts.SetMessage(arguments, message.WrittenMemory);
        return arguments;
    }

    private async Task ReleaseConversationAsync()
    {
        try
        {
            await _redis.ScriptEvaluateAsync(RedisReplyScripts.Release, [_active], [_messageId]);
        }
        catch (Exception exception) when (exception.IsRedisFault())
        {
            // The claim lapses by itself.
            ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
        }
    }

    private async Task FinishAsync(bool ended)
    {
        try
        {
            // Refused before it started (not ended): nothing to resume, the stream goes.
            await _redis.ScriptEvaluateAsync(RedisReplyScripts.Finish, [_stream, _active, _lease], [_messageId, (long)_options.Retention.TotalMilliseconds, ended ? "1" : "0"]);
        }
        catch (Exception exception) when (exception.IsRedisFault())
        {
            // The lease lapses by itself; watchers find the end in the stream.
            ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var period = _options.Lease / 3;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Cancelled at every reply's end: awaited without throwing, since a TaskCanceledException
                // per reply showed in the benchmark's counters.
                await Task.Delay(period, _timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                var renewed = await _redis.ScriptEvaluateAsync(
                    RedisReplyScripts.Renew, [_active, _lease], [_messageId, (long)_options.Lease.TotalMilliseconds, _ended ? "0" : "1"]);
                if ((long)renewed == 0)
                {
                    ReplyLog.LeaseLost(_logger, _messageId);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception.IsRedisFault())
            {
                ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
            }
        }
    }
}

using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// The producer's side of a reply in Redis. Observes the <see cref="LiveReply"/> like any client,
/// so it never slows the model: frames are queued, then written in order, each as an XADD to the
/// reply's stream, then one PUBLISH of them all to the conversation's channel, in the same MULTI/EXEC
/// (so a frame is never published before it is stored). Renews its claim on the conversation until the
/// end (then the conversation takes the next message), and the reply's own lease until every frame
/// is stored (so nobody takes it for dead while it catches up). While Redis is unreachable it keeps the frames and
/// retries; when Redis is back it writes whatever the stream lacks (a Redis that restarted empty
/// gets the whole reply again).
/// </summary>
internal sealed class RedisReplyPublisher : IReplyObserver
{
    // Renews the reply's lease; while it streams, also its claim on the conversation, only while it
    // holds it, and gets it back if it vanished (a Redis restart).
    private const string RenewScript = """
        redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
        if ARGV[3] == '0' then return 1 end
        local holder = redis.call('GET', KEYS[1])
        if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]); return 2 end
        return 0
        """;

    // Deletes the lease only if this reply still holds it.
    internal const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly IRedisClient _redis;
    private readonly ReplyBrokerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly string _ownerId;
    private readonly string _conversationId;
    private readonly string _messageId;
    private readonly string? _origin;
    private readonly ConversationMessage _userMessage;
    // Encoded once for the reply's every frame.
    private readonly RedisArg _stream;
    private readonly RedisArg _channel;
    private readonly RedisArg _maxStreamLength;
    private readonly Channel<ServerFrame> _queue = Channel.CreateUnbounded<ServerFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly List<(ServerFrame Frame, long Seq)> _frames = [];
    private long _seq;
    private volatile bool _ended;

    public RedisReplyPublisher(IRedisClient redis, ReplyBrokerOptions options, ILogger logger, TimeProvider timeProvider, ChatTurn turn, ConversationMessage userMessage)
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
        _channel = RedisReplyKeys.Channel(_conversationId);
        _maxStreamLength = options.MaxStreamLength;
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
                    // After a failure the stream may hold more than we know (EXEC ran, its reply was lost) or nothing (Redis restarted empty).
                    stored = (await RedisReplyFormat.LastAsync(_redis, RedisReplyKeys.Stream(_messageId), CancellationToken.None))?.N ?? 0;
                    verify = false;
                }

                if (stored >= _frames.Count)
                {
                    return (stored, false);
                }

                var replies = await _redis.TransactionAsync(Batch(stored), CancellationToken.None);
                if (replies is null || replies.Any(r => r.Type == RespType.Error))
                {
                    throw new RedisServerException("A reply frame was refused: " + replies?.First(r => r.Type == RespType.Error).AsString());
                }

                return (_frames.Count, false);
            }
            catch (RedisException exception)
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
    /// The commands that store the frames after <paramref name="stored"/>: an XADD each, then one PUBLISH
    /// of them all (several frames when tokens come faster than a round trip), and the stream's time to live
    /// when it is created.
    /// </summary>
    private List<RedisCommand> Batch(long stored)
    {
        var count = (int)(_frames.Count - stored);
        List<RedisCommand> commands = new(count + 2);
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
            var seq = _frames[(int)n - 1].Seq;
            commands.Add(n == 1
                ? RedisReplyFormat.XAdd(_stream, _maxStreamLength, n, frameJson, seq, _ownerId, _userMessage)
                : RedisReplyFormat.XAdd(_stream, _maxStreamLength, n, frameJson, seq));
            RedisReplyFormat.AppendEnvelope(message, n, _messageId, _origin, frameJson.Span);
        }

        commands.Add(new RedisCommand("PUBLISH", _channel, message.WrittenMemory));
        if (stored == 0)
        {
            // A stream nobody ends (its producer and every watcher gone) still goes away. Set when the
            // stream is created (or written again from its start after Redis lost it): later XADDs keep
            // a key's time to live, so the frames after it need no PEXPIRE of their own.
            commands.Add(RedisCommands.PExpire(_stream, _options.Retention + TimeSpan.FromDays(1)));
        }

        return commands;
    }

    private async Task ReleaseConversationAsync()
    {
        try
        {
            await _redis.ExecuteAsync(new RedisCommand("EVAL", ReleaseScript, 1, RedisReplyKeys.Active(_conversationId), _messageId), CancellationToken.None);
        }
        catch (RedisException exception)
        {
            // The claim lapses by itself.
            ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
        }
    }

    private async Task FinishAsync(bool ended)
    {
        try
        {
            var key = RedisReplyKeys.Stream(_messageId);
            await _redis.TransactionAsync(
            [
                RedisCommands.PExpire(key, _options.Retention),
                new RedisCommand("EVAL", ReleaseScript, 1, RedisReplyKeys.Active(_conversationId), _messageId),
                new RedisCommand("DEL", RedisReplyKeys.Lease(_messageId)),
            ], CancellationToken.None);
            if (!ended)
            {
                // Refused before it started: nothing to resume.
                await _redis.DelAsync([key], CancellationToken.None);
            }
        }
        catch (RedisException exception)
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

                var renewed = await _redis.ExecuteAsync(
                    new RedisCommand("EVAL", RenewScript, 2, RedisReplyKeys.Active(_conversationId), RedisReplyKeys.Lease(_messageId), _messageId, (long)_options.Lease.TotalMilliseconds, _ended ? "0" : "1"),
                    cancellationToken);
                if (renewed.Number == 0)
                {
                    ReplyLog.LeaseLost(_logger, _messageId);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (RedisException exception)
            {
                ReplyLog.ReplyWriteFailed(_logger, exception, _messageId);
            }
        }
    }
}

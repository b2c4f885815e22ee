using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading.Channels;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// One client's WebSocket: reads frames and starts or stops replies; writes every frame of the
/// replies it watches, in order, from one send loop (a WebSocket allows one send at a time).
/// Outgoing frames wait in a bounded queue: a client that stops reading is closed, never
/// allowed to grow the server's memory or hold up a reply.
/// </summary>
public sealed partial class ChatSocketConnection : IReplyObserver, IDisposable
{
    private readonly WebSocket _socket;
    private readonly string _ownerId;
    private readonly ReplyCoordinator _coordinator;
    private readonly IReplyBroker _broker;
    private readonly string _originId = ConversationIds.New();
    private readonly ChatServiceOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _closing;
    private readonly CancellationTokenRegistration _serverClosing;

    // What only a connection that chats needs is made when first needed, so an idle one holds none of it
    // (docs/benchmarks.md, memory per idle WebSocket).
    // The outgoing queue and its send loop: made by the first frame to send (or by the server's close),
    // on whichever thread brings it, under _sendLock; none is made once the connection has ended.
    private readonly Lock _sendLock = new();
    private Channel<ServerFrame>? _outbound;
    private Task? _sending;
    private bool _sendingEnded;
    private DeliveryFilter? _delivered;
    // The message rate limit: made by the first message.
    private MessageTokenBucket? _messageBudget;
    // The replies this connection asked for, by message id: written by the receive loop (before it begins
    // a reply, so before any frame of it is queued), read by the send loop and at the end.
    private ConcurrentDictionary<string, LiveReply>? _watching;
    // The conversations it watches, and in which order they were asked for: the receive loop's alone.
    private ConcurrentDictionary<string, Task<IAsyncDisposable?>>? _watches;
    private Queue<string>? _watchOrder;
    // The send loop's alone.
    private Dictionary<string, Activity>? _sendSpans;
    private static readonly TimeSpan s_closeHandshakeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Conversations one connection watches at most: a page that opens one after another does not pile up watches.</summary>
    public const int MaxWatchedConversations = 16;
    private volatile bool _tooSlow;
    private volatile bool _closedByServer;

    private enum Ending
    {
        ClientClosed,
        Failed,
        Aborted,
    }

    public ChatSocketConnection(WebSocket socket, string ownerId, ReplyCoordinator coordinator, IReplyBroker broker, ChatServiceOptions options, ILogger logger, TimeProvider timeProvider, CancellationToken stopping)
    {
        _socket = socket;
        _ownerId = ownerId;
        _coordinator = coordinator;
        _broker = broker;
        _options = options;
        _logger = logger;
        _timeProvider = timeProvider;
        _closing = new CancellationTokenSource();
        // Cancelling a receive aborts a WebSocket, so a server-side close goes out through the
        // send loop instead: it sends what is queued, then the close frame.
        _serverClosing = stopping.Register(static state => ((ChatSocketConnection)state!).CloseFromServer(), this);
    }

    /// <summary>Serves the socket until the client closes it, it fails, or the server stops.</summary>
    public async Task RunAsync()
    {
        var ending = await ReceiveLoopAsync(_closing.Token);
        foreach (var reply in _watching?.Values ?? [])
        {
            reply.Detach(this, disconnected: !_closedByServer);
        }

        foreach (var watch in _watches?.Values ?? [])
        {
            await UnwatchAsync(watch);
        }

        var sending = EndSending();
        if (ending != Ending.ClientClosed)
        {
            // Nothing more can be written to a peer that is gone or does not read.
            _socket.Abort();
        }

        await sending;
        await CloseOutputAsync(WebSocketCloseStatus.NormalClosure);
    }

    /// <summary>A reply's frame. A reply can reach this connection twice (it sent the message, and it watches the conversation): once is enough.</summary>
    public bool TryDeliver(ServerFrame frame) => !Delivered.IsNew(frame) || Enqueue(frame);

    /// <summary>Made by the first frame of a reply, on whichever thread brings it.</summary>
    private DeliveryFilter Delivered => LazyInitializer.EnsureInitialized(ref _delivered, static () => new DeliveryFilter());

    private void CloseFromServer()
    {
        _closedByServer = true;
        Outbound()?.Writer.TryComplete();
    }

    private bool Enqueue(ServerFrame frame)
    {
        if (Outbound() is not { } outbound)
        {
            // The connection has ended.
            return false;
        }

        if (outbound.Writer.TryWrite(frame))
        {
            return true;
        }

        // The queue is full: the client is not reading. Drop it; it can reconnect and reload.
        if (!_tooSlow && !_closedByServer)
        {
            _tooSlow = true;
            LogSlowClient(_logger);
            _closing.Cancel();
        }

        return false;
    }

    /// <summary>The outgoing queue, with its send loop started the first time; null once the connection has ended without one.</summary>
    private Channel<ServerFrame>? Outbound()
    {
        if (Volatile.Read(ref _outbound) is { } outbound)
        {
            return outbound;
        }

        lock (_sendLock)
        {
            if (_outbound is null && !_sendingEnded)
            {
                var created = Channel.CreateBounded<ServerFrame>(new BoundedChannelOptions(_options.MaxQueuedFrames) { SingleReader = true });
                _sending = SendLoopAsync(created.Reader);
                Volatile.Write(ref _outbound, created);
            }

            return _outbound;
        }
    }

    /// <summary>Lets the send loop finish what is queued; no queue is made after this.</summary>
    private Task EndSending()
    {
        lock (_sendLock)
        {
            _sendingEnded = true;
            _outbound?.Writer.TryComplete();
            return _sending ?? Task.CompletedTask;
        }
    }

    public void Dispose()
    {
        _serverClosing.Dispose();
        _closing.Dispose();
        if (_sendSpans is { } sendSpans)
        {
            foreach (var span in sendSpans.Values)
            {
                span.Dispose();
            }
        }
    }

    private async Task<Ending> ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // Waits holding no buffer; the message then gets one for as long as it is read and handled.
                var next = await _socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
                using var message = await ClientMessage.ReadAsync(_socket, next, _options.MaxFrameBytes, cancellationToken);
                switch (message.Type)
                {
                    case WebSocketMessageType.Close:
                        return Ending.ClientClosed;
                    case WebSocketMessageType.Binary:
                        Send(new ErrorFrame(ErrorCodes.BinaryNotSupported, "Frames are JSON text; binary frames are not supported."));
                        continue;
                }

                if (message.TooLarge)
                {
                    Send(new ErrorFrame(ErrorCodes.FrameTooLarge, $"A frame may hold at most {_options.MaxFrameBytes} bytes."));
                    continue;
                }

                Handle(message.Content);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Ending.Aborted;
        }
        catch (WebSocketException)
        {
            // The peer vanished (reset, keep-alive timeout): nothing to answer.
            return Ending.Failed;
        }
    }

    private void Handle(ReadOnlySpan<byte> utf8Json)
    {
        var (frame, error) = ClientFrame.Parse(utf8Json);
        if (error is not null)
        {
            Send(error);
            return;
        }

        switch (frame!.Type)
        {
            case ClientFrame.StopType:
                _coordinator.Stop(_ownerId, frame.ConversationId!);
                break;
            case ClientFrame.ResumeType:
                Resume(frame);
                break;
            case ClientFrame.SwitchType:
                _ = SwitchAsync(frame);
                break;
            case ClientFrame.MessageType or ClientFrame.RegenerateType or ClientFrame.EditType:
                _messageBudget ??= new MessageTokenBucket(_options.Limits, _timeProvider);
                if (!_messageBudget.TryTake(out var retryAfter))
                {
                    Send(new ErrorFrame(ErrorCodes.RateLimited, $"Too many messages; try again in {retryAfter.TotalSeconds:0.#} s.")
                    {
                        ConversationId = frame.ConversationId,
                        ReplyTo = frame.Id,
                        RetryAfterMs = (long)Math.Ceiling(retryAfter.TotalMilliseconds),
                    });
                    return;
                }

                var watching = _watching ??= new ConcurrentDictionary<string, LiveReply>(StringComparer.Ordinal);
                var kind = frame.Type switch
                {
                    ClientFrame.RegenerateType => TurnKind.Regenerate,
                    ClientFrame.EditType => TurnKind.Edit,
                    _ => TurnKind.Message,
                };
                var reply = _coordinator.Begin(new ChatTurnRequest(_ownerId, frame.Content ?? "", frame.ConversationId, frame.Id, frame.Traceparent, _originId, kind, frame.MessageId), this);
                watching[reply.MessageId] = reply;
                break;
        }
    }

    private async Task SwitchAsync(ClientFrame frame)
    {
        try
        {
            Send(await _coordinator.SwitchBranchAsync(_ownerId, frame.ConversationId!, frame.MessageId, frame.ParentId, frame.Index, _originId, _closing.Token));
        }
        catch (OperationCanceledException)
        {
            // The connection is closing.
        }
    }

    /// <summary>This connection's own answer to a frame the client sent.</summary>
    private void Send(ServerFrame frame) => Enqueue(frame);

    /// <summary>Watches a conversation (once per connection), replaying the reply the client names after its last seq.</summary>
    private void Resume(ClientFrame frame)
    {
        var request = new WatchRequest(_ownerId, frame.ConversationId!, frame.MessageId, frame.LastSeq ?? 0, _originId);
        var watches = _watches ??= new ConcurrentDictionary<string, Task<IAsyncDisposable?>>(StringComparer.Ordinal);
        if (request.MessageId is null && watches.TryGetValue(request.ConversationId, out var current) && current.IsCompletedSuccessfully && current.Result is not null)
        {
            // Already watching it.
            return;
        }

        if (request.MessageId is { } messageId)
        {
            // What the client has already counts as delivered.
            Delivered.Resumed(messageId, request.LastSeq);
        }

        var previous = watches.TryGetValue(request.ConversationId, out var watching) ? watching : null;
        watches[request.ConversationId] = WatchAsync(request, previous);
        if (previous is null)
        {
            var watchOrder = _watchOrder ??= new Queue<string>();
            watchOrder.Enqueue(request.ConversationId);
            if (watchOrder.Count > MaxWatchedConversations && watches.TryRemove(watchOrder.Dequeue(), out var oldest))
            {
                _ = UnwatchAsync(oldest);
            }
        }
    }

    private static async Task UnwatchAsync(Task<IAsyncDisposable?> watch)
    {
        if (await watch is { } watching)
        {
            await watching.DisposeAsync();
        }
    }

    private async Task<IAsyncDisposable?> WatchAsync(WatchRequest request, Task<IAsyncDisposable?>? previous)
    {
        try
        {
            if (previous is not null && await previous is { } old)
            {
                await old.DisposeAsync();
            }

            var (watch, error) = await _broker.WatchAsync(request, this, _closing.Token);
            if (error is not null)
            {
                Send(error);
            }

            return watch;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            ReplyLogForConnection(_logger, exception);
            Send(new ErrorFrame(ErrorCodes.StoreUnavailable, "The conversation cannot be watched right now; try again shortly.") { ConversationId = request.ConversationId, MessageId = request.MessageId });
            return null;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task SendLoopAsync(ChannelReader<ServerFrame> frames)
    {
        using var json = new ServerFrameWriter();
        try
        {
            while (await frames.WaitToReadAsync())
            {
                while (frames.TryRead(out var frame))
                {
                    var utf8 = json.Write(frame);
                    TraceSend(frame);
                    if (frame is ChunkFrame)
                    {
                        ChatTelemetry.Chunks.Add(1);
                    }

                    await _socket.SendAsync(utf8, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                }
            }

            if (_closedByServer)
            {
                await CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable);
                // A client that never answers the close must not hold the shutdown.
                _closing.CancelAfter(s_closeHandshakeTimeout);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The socket is gone; the replies go on without this client.
            _closing.Cancel();
        }
    }

    /// <summary>The span of this connection's part of a reply: under the reply's span, from its start frame to its end frame.</summary>
    private void TraceSend(ServerFrame frame)
    {
        switch (frame)
        {
            case StartFrame start when _watching is { } watching && watching.TryGetValue(start.MessageId, out var reply) && reply.Activity is { } parent:
                if (ChatTelemetry.Source.StartActivity("ws send", ActivityKind.Producer, parent.Context) is { } span)
                {
                    (_sendSpans ??= new Dictionary<string, Activity>(StringComparer.Ordinal))[start.MessageId] = span;
                }

                break;
            case EndFrame end:
                _watching?.TryRemove(end.MessageId, out _);
                if (_sendSpans is { } sendSpans && sendSpans.Remove(end.MessageId, out var sendSpan))
                {
                    sendSpan.SetTag("gen_ai.response.finish_reasons", new[] { end.FinishReason });
                    sendSpan.Dispose();
                }

                break;
        }
    }

    private async Task CloseOutputAsync(WebSocketCloseStatus status)
    {
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(status, null, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
            // Closing a socket that already failed: nothing more to do.
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Watching a conversation failed.")]
    private static partial void ReplyLogForConnection(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "A client stopped reading its WebSocket; closing it.")]
    private static partial void LogSlowClient(ILogger logger);
}

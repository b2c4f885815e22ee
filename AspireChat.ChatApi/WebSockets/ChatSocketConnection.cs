using System.Net.WebSockets;
using System.Threading.Channels;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// One client's WebSocket, as a transport: reads whole messages and hands each to the connection's
/// <see cref="ClientFrameDispatcher"/>; writes frames from one send loop (a WebSocket allows one send at a time);
/// closes. Outgoing frames wait in a bounded queue: a client that stops reading is closed, never allowed to grow the
/// server's memory or hold up a reply. It observes the replies its client asked for directly.
/// </summary>
public sealed partial class ChatSocketConnection : IReplyObserver, IDisposable
{
    private static readonly TimeSpan s_closeHandshakeTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly ChatServiceOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _closing = new();
    private readonly CancellationTokenRegistration _serverClosing;
    private readonly CancellationToken _peerGone;
    private readonly ReplySendSpans _spans = new();

    // The outgoing queue and its send loop are made by the first frame to send (or by the server's close), on
    // whichever thread brings it, under _sendLock, so an idle connection holds neither (docs/benchmarks.md, memory
    // per idle WebSocket); none is made once the connection has ended.
    private readonly Lock _sendLock = new();
    private Channel<ServerFrame>? _outbound;
    private Task? _sending;
    private bool _sendingEnded;
    private volatile bool _tooSlow;
    private volatile bool _closedByServer;

    /// <summary>A connection over <paramref name="socket"/>; <paramref name="stopping"/> closes it from the server, <paramref name="peerGone"/> is the request's <c>RequestAborted</c>.</summary>
    public ChatSocketConnection(WebSocket socket, ChatServiceOptions options, ILogger logger, CancellationToken stopping, CancellationToken peerGone = default)
    {
        _socket = socket;
        _peerGone = peerGone;
        _options = options;
        _logger = logger;
        // Cancelling a receive aborts a WebSocket, so a server-side close goes out through the
        // send loop instead: it sends what is queued, then the close frame.
        _serverClosing = stopping.Register(static state => ((ChatSocketConnection)state!).CloseFromServer(), this);
    }

    /// <summary>Names this connection in what it causes, so that its own turns reach it once, directly.</summary>
    public string OriginId { get; } = ConversationIds.New();

    /// <summary>Cancelled when the connection ends.</summary>
    public CancellationToken Closing => _closing.Token;

    private enum Ending
    {
        ClientClosed,
        Failed,
        Aborted,
    }

    /// <summary>Serves the socket until the client closes it, it fails, or the server stops.</summary>
    public async Task RunAsync(ClientFrameDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        var ending = await ReceiveLoopAsync(dispatcher, _closing.Token);
        _spans.DetachAll(this, disconnected: !_closedByServer);
        await dispatcher.DisposeAsync();

        var sending = EndSending();
        if (ending == Ending.Aborted)
        {
            // Nothing more can be written to a peer that does not read.
            _socket.Abort();
        }

        await sending;
        if (ending == Ending.Failed)
        {
            // The socket may have sent a close frame of its own just before it failed (1007 for a text frame that is not
            // UTF-8): the connection stays up until the client hangs up, or a moment, so a reset does not cut that frame.
            await Task.Delay(s_closeHandshakeTimeout, _peerGone).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await CloseOutputAsync(WebSocketCloseStatus.NormalClosure);
    }

    /// <summary>A frame of a reply this connection asked for (<see cref="Asked"/>).</summary>
    public bool TryDeliver(ServerFrame frame) => Enqueue(frame);

    /// <summary>This connection's own answer to a frame its client sent, or a frame a watch brings.</summary>
    public bool Send(ServerFrame frame) => Enqueue(frame);

    /// <summary>The client asked for <paramref name="reply"/> here: its frames come to <see cref="TryDeliver"/>, and its send span hangs under it.</summary>
    public void Asked(LiveReply reply) => _spans.Asked(reply);

    public void Dispose()
    {
        _serverClosing.Dispose();
        _closing.Dispose();
        _spans.Dispose();
    }

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

    private async Task<Ending> ReceiveLoopAsync(ClientFrameDispatcher dispatcher, CancellationToken cancellationToken)
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
                    var (id, conversationId) = ClientFramePrefix.ReadIds(message.Content);
                    Send(new ErrorFrame(ErrorCodes.FrameTooLarge, $"A frame may hold at most {_options.MaxFrameBytes} bytes.") { ReplyTo = id, ConversationId = conversationId });
                    continue;
                }

                dispatcher.Handle(message.Content);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Ending.Aborted;
        }
        catch (WebSocketException exception)
        {
            // The peer vanished (reset, keep-alive timeout), or sent what the protocol forbids (a text frame that is not
            // UTF-8), and the socket has closed itself. Not aborted here: an abort would cut the close frame the socket
            // may have just sent, still on its way out.
            LogReceiveFailed(_logger, exception);
            return Ending.Failed;
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
                    _spans.Sending(frame);
                    if (frame is ChunkFrame)
                    {
                        ReplyTelemetry.Chunks.Add(1);
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

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "A client stopped reading its WebSocket; closing it.")]
    private static partial void LogSlowClient(ILogger logger);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "A WebSocket ended without a close handshake.")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception);
}

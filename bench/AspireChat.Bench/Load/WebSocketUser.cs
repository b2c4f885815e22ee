using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AspireChat.Bench.Stats;

namespace AspireChat.Bench.Load;

/// <summary>
/// A browser stand-in on <c>/ws</c> (docs/protocol.md): one socket, one conversation that every message continues.
/// The socket is read by the <see cref="SocketLoop"/>'s thread, which parses each frame and times it; a turn sends
/// its message and waits for the loop to see the reply's <c>end</c>. Only the handshake and the messages sent are
/// outside the loop: nothing per chunk allocates, hops threads or completes a task.
/// </summary>
internal sealed class WebSocketUser(int index, Uri endpoint, SocketLoop loop, IPAddress? source = null, string? expectedText = null)
    : IVirtualUser, SocketLoop.IReader
{
    private const int MaxMessageBytes = 1 << 20;

    private readonly Lock _gate = new();
    private readonly Lock _sending = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _socket;
    private byte[] _buffer = new byte[4 * 1024];
    private int _filled;
    private ArrayBufferWriter<byte>? _fragments;
    private Turn? _turn;
    private string? _conversationId;
    private int _turnNumber;
    private volatile bool _open;
    private bool _disposed;

    public LatencyRecorder Recorder { get; } = new();

    public bool IsConnected => _open;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The handshake blocks (a socket never used asynchronously stays out of .NET's own epoll), on a thread of its own.
            await Task.Factory.StartNew(() => Connect(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                Recorder.Error("connect_failed", exception.GetBaseException().Message);
            }

            throw;
        }
    }

    public async Task<bool> TurnAsync(CancellationToken cancellationToken)
    {
        if (!_open)
        {
            lock (_gate)
            {
                Recorder.Error("socket_error", "the connection is not open");
            }

            return false;
        }

        var turn = new Turn(expectedText is null ? null : new StringBuilder(expectedText.Length));
        var message = Message(++_turnNumber);
        lock (_gate)
        {
            _turn = turn;
            turn.Sent = Stopwatch.GetTimestamp();
        }

        try
        {
            Send(WebSocketWire.Text, message);
            return await turn.Completion.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                if (_turn == turn)
                {
                    _turn = null;
                    Recorder.Error("timeout", $"no end {Stopwatch.GetElapsedTime(turn.Sent).TotalSeconds:F1} s after message {_turnNumber} ({turn.Chunks} chunks seen)");
                }
            }

            return false;
        }
        catch (SocketException exception)
        {
            lock (_gate)
            {
                _turn = null;
                Recorder.Error("socket_error", $"sending message {_turnNumber}: {exception.SocketErrorCode}");
            }

            return false;
        }
    }

    public async Task HoldAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Pings are answered by the loop; a close from the server ends the hold and is recorded there.
            await _closed.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Held until the end of the measurement, as asked.
        }
    }

    public ValueTask DisposeAsync()
    {
        Socket? socket;
        lock (_gate)
        {
            _disposed = true;
            _open = false;
            socket = _socket;
        }

        if (socket is not null)
        {
            loop.Remove(socket);
            // A reset rather than a close handshake: tearing down ten thousand sockets must not take minutes.
            socket.LingerState = new LingerOption(true, 0);
            socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    void SocketLoop.IReader.OnReadable(long timestamp)
    {
        lock (_gate)
        {
            if (_socket is not { } socket || !_open)
            {
                return;
            }

            if (_filled == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            // One recv per wake-up: epoll is level-triggered and says again if more is waiting.
            var read = socket.Receive(_buffer.AsSpan(_filled), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }

            if (error != SocketError.Success || read == 0)
            {
                Fail(read == 0 ? "closed_by_server" : "socket_error", read == 0 ? "the server closed the TCP connection" : error.ToString());
                return;
            }

            _filled += read;
            try
            {
                ReadFrames(timestamp);
            }
            catch (InvalidDataException exception)
            {
                Fail("invalid_frame", exception.Message);
            }
        }
    }

    private void Connect(CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 30_000, SendTimeout = 30_000 };
        try
        {
            // Cancelling closes the socket, which ends a blocked connect or receive.
            using var cancel = cancellationToken.Register(socket.Dispose);
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            socket.Connect(endpoint.Host, endpoint.Port);
            var (request, accept) = WebSocketWire.Handshake(endpoint);
            socket.Send(request);
            int headEnd;
            while ((headEnd = _buffer.AsSpan(0, _filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (_filled == _buffer.Length)
                {
                    throw new InvalidDataException("The handshake's response head is larger than 4 KiB.");
                }

                var read = socket.Receive(_buffer.AsSpan(_filled));
                _filled += read > 0 ? read : throw new InvalidDataException("The server closed the connection during the handshake.");
            }

            if (WebSocketWire.CheckHandshakeResponse(_buffer.AsSpan(0, headEnd), accept) is { } refused)
            {
                throw new InvalidDataException($"The WebSocket upgrade was refused: {refused}.");
            }

            // Anything after the head is the start of the first frame.
            _buffer.AsSpan(headEnd + 4, _filled - headEnd - 4).CopyTo(_buffer);
            _filled -= headEnd + 4;
            cancellationToken.ThrowIfCancellationRequested();
            socket.Blocking = false;
            lock (_gate)
            {
                _socket = socket;
                _open = true;
            }

            loop.Add(socket, this);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void ReadFrames(long timestamp)
    {
        var offset = 0;
        while (_open && WebSocketWire.TryReadHeader(_buffer.AsSpan(offset, _filled - offset), out var final, out var opcode, out var headerLength, out var payloadLength))
        {
            if (payloadLength > MaxMessageBytes)
            {
                throw new InvalidDataException($"A frame of {payloadLength} bytes: more than any server frame should be.");
            }

            var frameLength = headerLength + (int)payloadLength;
            if (frameLength > _filled - offset)
            {
                if (frameLength > _buffer.Length)
                {
                    Array.Resize(ref _buffer, Math.Max(frameLength, _buffer.Length * 2));
                }

                break;
            }

            var payload = _buffer.AsSpan(offset + headerLength, (int)payloadLength);
            offset += frameLength;
            switch (opcode)
            {
                case WebSocketWire.Text or WebSocketWire.Binary or WebSocketWire.Continuation when final && _fragments is not { WrittenCount: > 0 } && opcode != WebSocketWire.Continuation:
                    OnMessage(opcode, payload, timestamp);
                    break;
                case WebSocketWire.Text or WebSocketWire.Binary or WebSocketWire.Continuation:
                    // A message in several frames: kept until its last frame.
                    _fragments ??= new ArrayBufferWriter<byte>();
                    _fragments.Write(payload);
                    if (final)
                    {
                        OnMessage(WebSocketWire.Text, _fragments.WrittenSpan, timestamp);
                        _fragments.ResetWrittenCount();
                    }

                    break;
                case WebSocketWire.Ping:
                    Send(WebSocketWire.Pong, payload);
                    break;
                case WebSocketWire.Close:
                    var status = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : 0;
                    Fail("closed_by_server", $"close frame {status} '{Encoding.UTF8.GetString(payload[Math.Min(2, payload.Length)..])}'");
                    return;
            }
        }

        _buffer.AsSpan(offset, _filled - offset).CopyTo(_buffer);
        _filled -= offset;
    }

    private void OnMessage(byte opcode, ReadOnlySpan<byte> payload, long received)
    {
        if (_turn is not { } turn)
        {
            // An idle connection, or a frame after the turn gave up: read and dropped.
            return;
        }

        ServerFrame frame;
        try
        {
            frame = opcode == WebSocketWire.Text
                ? ServerFrame.Parse(payload, turn.Content)
                : throw new JsonException("A binary frame, where the protocol has only text.");
        }
        catch (JsonException exception)
        {
            Recorder.Error("invalid_frame", exception.Message);
            End(turn, false);
            return;
        }

        switch (frame.Type)
        {
            case FrameType.Start:
                turn.Started = true;
                _conversationId ??= frame.ConversationId;
                break;
            case FrameType.Chunk:
                if (frame.Seq != turn.ExpectedSeq)
                {
                    Recorder.Error("seq_out_of_order", $"seq {frame.Seq} where {turn.ExpectedSeq} was due");
                }

                turn.ExpectedSeq = frame.Seq + 1;
                turn.Chunks++;
                turn.FirstChunk = turn.FirstChunk == 0 ? received : turn.FirstChunk;
                Recorder.Chunk(turn.PreviousChunk, received);
                turn.PreviousChunk = received;
                break;
            case FrameType.End:
                Recorder.Reply(turn.Sent, turn.FirstChunk, received);
                End(turn, Check(frame, turn.Content));
                break;
            case FrameType.Error:
                Recorder.Error(frame.Code ?? "error", frame.Message ?? "an error frame without a message");
                if (!turn.Started)
                {
                    // Rejected before a reply began: no end follows.
                    End(turn, false);
                }

                break;
        }
    }

    private void End(Turn turn, bool succeeded)
    {
        _turn = null;
        turn.Completion.TrySetResult(succeeded);
    }

    /// <summary>The connection is gone: recorded (unless this user closed it), and the turn or hold waiting on it ends.</summary>
    private void Fail(string kind, string detail)
    {
        _open = false;
        if (!_disposed)
        {
            Recorder.Error(kind, detail);
        }

        if (_turn is { } turn)
        {
            End(turn, false);
        }

        _closed.TrySetResult();
        loop.Remove(_socket!);
    }

    private void Send(byte opcode, ReadOnlySpan<byte> payload)
    {
        lock (_sending)
        {
            var frame = ArrayPool<byte>.Shared.Rent(WebSocketWire.ClientFrameLength(payload.Length));
            try
            {
                var remaining = frame.AsSpan(0, WebSocketWire.WriteClientFrame(frame, opcode, payload, (uint)Random.Shared.Next()));
                while (remaining.Length > 0)
                {
                    var sent = _socket!.Send(remaining, SocketFlags.None, out var error);
                    if (error == SocketError.WouldBlock)
                    {
                        _socket.Poll(TimeSpan.FromMilliseconds(10), SelectMode.SelectWrite);
                        continue;
                    }

                    remaining = error == SocketError.Success ? remaining[sent..] : throw new SocketException((int)error);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(frame);
            }
        }
    }

    private byte[] Message(int turn)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "message");
            json.WriteString("content", $"Hello from user {index}, message {turn}.");
            json.WriteString("id", $"u{index}-{turn}");
            if (_conversationId is not null)
            {
                json.WriteString("conversationId", _conversationId);
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private bool Check(ServerFrame end, StringBuilder? content)
    {
        if (end.FinishReason != "stop")
        {
            Recorder.Error($"finish_{end.FinishReason ?? "missing"}", $"message {_turnNumber}");
            return false;
        }

        if (content is not null && content.ToString() != expectedText)
        {
            Recorder.Error("wrong_text", $"message {_turnNumber}: {content.Length} characters where {expectedText!.Length} were expected");
            return false;
        }

        return true;
    }

    /// <summary>One message and its reply, as the loop's thread sees it.</summary>
    private sealed class Turn(StringBuilder? content)
    {
        public TaskCompletionSource<bool> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public StringBuilder? Content { get; } = content;

        public long Sent { get; set; }

        public long FirstChunk { get; set; }

        public long PreviousChunk { get; set; }

        public long ExpectedSeq { get; set; } = 1;

        public int Chunks { get; set; }

        public bool Started { get; set; }
    }
}

using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using AspireChat.Bench.Stats;

namespace AspireChat.Bench.Load;

/// <summary>
/// A browser stand-in on <c>/ws</c> (docs/protocol.md): one socket, one conversation that every message continues,
/// every frame timestamped the moment its receive completes.
/// </summary>
internal sealed class WebSocketUser(int index, Uri endpoint, HttpMessageInvoker invoker, string? expectedText = null) : IVirtualUser
{
    private readonly ClientWebSocket _socket = new();
    private byte[] _buffer = new byte[4 * 1024];
    private string? _conversationId;
    private int _turn;

    public LatencyRecorder Recorder { get; } = new();

    public bool IsConnected => _socket.State == WebSocketState.Open;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        // The server pings; a pending receive answers. Client pings would only add traffic.
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            await _socket.ConnectAsync(endpoint, invoker, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Recorder.Error($"connect_failed ({exception.GetBaseException().Message})");
            throw;
        }
    }

    public async Task<bool> TurnAsync(CancellationToken cancellationToken)
    {
        var message = Frame(++_turn);
        var content = expectedText is null ? null : new StringBuilder(expectedText.Length);
        var sent = Stopwatch.GetTimestamp();
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            long firstChunk = 0, previousChunk = 0, expectedSeq = 1;
            var started = false;
            while (true)
            {
                var length = await ReceiveFrameAsync(cancellationToken);
                var received = Stopwatch.GetTimestamp();
                if (length < 0)
                {
                    Recorder.Error("closed_by_server");
                    return false;
                }

                var frame = ServerFrame.Parse(_buffer.AsSpan(0, length), content);
                switch (frame.Type)
                {
                    case FrameType.Start:
                        started = true;
                        _conversationId ??= frame.ConversationId;
                        break;
                    case FrameType.Chunk:
                        if (frame.Seq != expectedSeq)
                        {
                            Recorder.Error("seq_out_of_order");
                        }

                        expectedSeq = frame.Seq + 1;
                        firstChunk = firstChunk == 0 ? received : firstChunk;
                        Recorder.Chunk(previousChunk, received);
                        previousChunk = received;
                        break;
                    case FrameType.End:
                        Recorder.Reply(sent, firstChunk, received);
                        return Check(frame, content);
                    case FrameType.Error:
                        Recorder.Error(frame.Code ?? "error");
                        if (!started)
                        {
                            // Rejected before a reply began: no end follows.
                            return false;
                        }

                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Recorder.Error("timeout");
            return false;
        }
        catch (Exception exception) when (exception is WebSocketException or JsonException)
        {
            Recorder.Error(exception is JsonException ? "invalid_frame" : "socket_error");
            return false;
        }
    }

    public async Task HoldAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await ReceiveFrameAsync(cancellationToken) >= 0)
            {
                // An idle connection gets no frames; any that come are read and dropped.
            }

            Recorder.Error("closed_by_server");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Held until the end of the measurement, as asked.
        }
        catch (WebSocketException)
        {
            Recorder.Error("socket_error");
        }
    }

    public ValueTask DisposeAsync()
    {
        // Abort rather than a close handshake: tearing down ten thousand sockets must not take minutes.
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private byte[] Frame(int turn)
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

    /// <summary>Reads one whole message into the buffer (growing it if needed); -1 when the server closed.</summary>
    private async Task<int> ReceiveFrameAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (length == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            var result = await _socket.ReceiveAsync(_buffer.AsMemory(length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return -1;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return length;
            }
        }
    }

    private bool Check(ServerFrame end, StringBuilder? content)
    {
        if (end.FinishReason != "stop")
        {
            Recorder.Error($"finish_{end.FinishReason ?? "missing"}");
            return false;
        }

        if (content is not null && content.ToString() != expectedText)
        {
            Recorder.Error("wrong_text");
            return false;
        }

        return true;
    }
}

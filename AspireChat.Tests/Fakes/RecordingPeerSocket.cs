using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;

namespace AspireChat.Tests.Fakes;

/// <summary>
/// The server's end of a WebSocket whose client sends nothing and reads what it is sent: it records each message the server
/// sends, in order. A send completes at once, as a real one that fits the socket's buffer does, unless the test holds
/// sends (<see cref="HoldSends"/>: a client that stopped reading, whose held sends fail when the socket is aborted) or
/// makes them fail (<see cref="FailSends"/>). Two sends at once, which a WebSocket forbids, are counted. It answers the
/// server's close as a browser does.
/// </summary>
public sealed class RecordingPeerSocket : WebSocket
{
    private readonly TaskCompletionSource _closeSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _held;
    private int _sending;
    private volatile WebSocketState _state = WebSocketState.Open;

    /// <summary>The text of every message sent, in the order the sends began.</summary>
    public ConcurrentQueue<string> Sent { get; } = new();

    /// <summary>The close statuses the server sent, in order.</summary>
    public ConcurrentQueue<WebSocketCloseStatus> ClosesSent { get; } = new();

    /// <summary>How many sends began while another was under way.</summary>
    public int OverlappingSends { get; private set; }

    /// <summary>Sends throw, as on a socket the peer has reset.</summary>
    public bool FailSends { get; set; }

    /// <summary>Runs as each send begins, on the thread that sends.</summary>
    public Action? BeforeEachSend { get; set; }

    public bool WasAborted { get; private set; }

    public override WebSocketCloseStatus? CloseStatus => null;

    public override string? CloseStatusDescription => null;

    public override WebSocketState State => _state;

    public override string? SubProtocol => null;

    /// <summary>From now on, every send waits until <see cref="ReleaseSends"/> (a client whose buffers are full).</summary>
    public void HoldSends() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The held sends finish; later ones complete at once again.</summary>
    public void ReleaseSends() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    public override void Abort()
    {
        WasAborted = true;
        _state = WebSocketState.Aborted;
        _held?.TrySetException(new OperationCanceledException("The WebSocket was aborted."));
    }

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        ClosesSent.Enqueue(closeStatus);
        _state = WebSocketState.CloseSent;
        _closeSent.TrySetResult();
        return Task.CompletedTask;
    }

    public override void Dispose() => Abort();

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        // Silent until the server closes; then the client's answering close. Cancelling aborts, as in .NET's own socket.
        await _closeSent.Task.WaitAsync(cancellationToken);
        _state = WebSocketState.Closed;
        return new WebSocketReceiveResult(0, WebSocketMessageType.Close, endOfMessage: true, WebSocketCloseStatus.NormalClosure, "");
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync((ReadOnlyMemory<byte>)buffer, messageType, endOfMessage, cancellationToken).AsTask();

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        BeforeEachSend?.Invoke();
        if (FailSends)
        {
            throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely);
        }

        if (Interlocked.Increment(ref _sending) > 1)
        {
            OverlappingSends++;
        }

        Sent.Enqueue(Encoding.UTF8.GetString(buffer.Span));
        if (_held is { } held)
        {
            return new ValueTask(FinishAfter(held.Task));
        }

        Interlocked.Decrement(ref _sending);
        return ValueTask.CompletedTask;
    }

    private async Task FinishAfter(Task held)
    {
        try
        {
            await held;
        }
        finally
        {
            Interlocked.Decrement(ref _sending);
        }
    }
}

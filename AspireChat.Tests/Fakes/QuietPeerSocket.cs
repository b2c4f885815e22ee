using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace AspireChat.Tests.Fakes;

/// <summary>
/// The server's end of a WebSocket whose client never sends a message. It takes what the server sends or, as a
/// client that stopped reading, never finishes taking it; it answers the server's close as a browser does.
/// </summary>
public sealed class QuietPeerSocket(bool reads) : WebSocket
{
    private readonly TaskCompletionSource _closeSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile WebSocketState _state = WebSocketState.Open;

    /// <summary>The close statuses the server sent, in order.</summary>
    public ConcurrentQueue<WebSocketCloseStatus> ClosesSent { get; } = new();

    public bool WasAborted => _aborted.Task.IsCompleted;

    public override WebSocketCloseStatus? CloseStatus => null;

    public override string? CloseStatusDescription => null;

    public override WebSocketState State => _state;

    public override string? SubProtocol => null;

    public override void Abort()
    {
        _state = WebSocketState.Aborted;
        _aborted.TrySetResult();
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

    public override async Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        if (!reads)
        {
            // The client's buffers are full: the send finishes only when the socket is aborted, and then fails.
            await _aborted.Task;
            throw new OperationCanceledException("The WebSocket was aborted.");
        }
    }
}

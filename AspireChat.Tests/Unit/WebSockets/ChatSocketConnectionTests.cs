using System.Net.WebSockets;
using AspireChat.ChatApi;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.WebSockets;
using AspireChat.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace AspireChat.Tests.Unit.WebSockets;

/// <summary>A connection's outgoing side, against a client that stops reading or stays silent.</summary>
public sealed class ChatSocketConnectionTests : IAsyncLifetime
{
    private const int MaxQueuedFrames = 16;
    private readonly ChatHarness _chat = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _chat.DisposeAsync();

    [Fact]
    public async Task AClientThatStopsReadingIsRefusedFramesPastItsQueueAndDisconnected()
    {
        var peer = new QuietPeerSocket(reads: false);
        using var connection = Connect(peer, CancellationToken.None);
        var running = connection.RunAsync(Dispatcher(connection));

        var accepted = Enumerable.Range(1, 100).Count(seq => connection.TryDeliver(new ChunkFrame("c1", "m1", seq, "token ")));
        await running.WaitAsync(Token);

        // The queue holds MaxQueuedFrames; the send loop may already hold one more in a send that never finishes.
        Assert.InRange(accepted, MaxQueuedFrames, MaxQueuedFrames + 1);
        Assert.True(peer.WasAborted, "A client that stopped reading should be disconnected.");
    }

    [Fact]
    public async Task AtShutdownAConnectionThatNeverSentAFrameIsToldTheServerIsGoingAway()
    {
        var peer = new QuietPeerSocket(reads: true);
        using var stopping = new CancellationTokenSource();
        using var connection = Connect(peer, stopping.Token);
        var running = connection.RunAsync(Dispatcher(connection));

        await stopping.CancelAsync();
        await running.WaitAsync(Token);

        Assert.Equal([WebSocketCloseStatus.EndpointUnavailable], peer.ClosesSent);
        Assert.False(peer.WasAborted, "The client answered the close, so the socket should close cleanly.");
    }

    private static readonly ChatServiceOptions s_options = new() { MaxQueuedFrames = MaxQueuedFrames };

    private static ChatSocketConnection Connect(QuietPeerSocket peer, CancellationToken stopping) =>
        new(peer, s_options, NullLogger.Instance, stopping);

    private ClientFrameDispatcher Dispatcher(ChatSocketConnection connection) =>
        new(ChatHarness.Owner, connection, _chat.Coordinator, _chat.Broker, _chat.Switcher, _chat.Store, s_options, TimeProvider.System, NullLogger.Instance);
}

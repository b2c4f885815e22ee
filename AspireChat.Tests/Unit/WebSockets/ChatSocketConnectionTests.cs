using System.Net.WebSockets;
using System.Text.Json;
using AspireChat.ChatApi;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;
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
        var peer = new RecordingPeerSocket();
        peer.HoldSends();
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
        var peer = new RecordingPeerSocket();
        using var stopping = new CancellationTokenSource();
        using var connection = Connect(peer, stopping.Token);
        var running = connection.RunAsync(Dispatcher(connection));

        await stopping.CancelAsync();
        await running.WaitAsync(Token);

        Assert.Equal([WebSocketCloseStatus.EndpointUnavailable], peer.ClosesSent);
        Assert.False(peer.WasAborted, "The client answered the close, so the socket should close cleanly.");
    }

    [Fact]
    public async Task FramesThatFindASendUnderWayGoOutInOrderOnceItFinishes()
    {
        var peer = new RecordingPeerSocket();
        using var connection = Connect(peer, CancellationToken.None);
        peer.HoldSends();

        for (var seq = 1; seq <= 5; seq++)
        {
            Assert.True(connection.TryDeliver(new ChunkFrame("c1", "m1", seq, $"t{seq}")));
        }

        // The first is in a send that has not finished; the rest wait behind it.
        await WaitUntil(() => peer.Sent.Count == 1);
        Assert.Single(peer.Sent);
        peer.ReleaseSends();

        await WaitUntil(() => peer.Sent.Count == 5);
        Assert.Equal([1, 2, 3, 4, 5], peer.Sent.Select(SeqOf));
        Assert.Equal(0, peer.OverlappingSends);
    }

    [Fact]
    public async Task FramesFromManyThreadsReachTheClientOneSendAtATimeEachInItsOrder()
    {
        const int Threads = 4, FramesEach = 400;
        var peer = new RecordingPeerSocket();
        using var connection = Connect(peer, CancellationToken.None, maxQueuedFrames: Threads * FramesEach);
        using var release = new CancellationTokenSource();
        // Sends now complete at once, now wait, so frames take both ways: sent by their own thread, and queued.
        var toggling = Task.Run(async () =>
        {
            while (!release.IsCancellationRequested)
            {
                peer.HoldSends();
                await Task.Delay(1, CancellationToken.None);
                peer.ReleaseSends();
                await Task.Delay(1, CancellationToken.None);
            }
        }, Token);

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(thread => Task.Run(() =>
        {
            for (var seq = 1; seq <= FramesEach; seq++)
            {
                Assert.True(connection.TryDeliver(new ChunkFrame($"c{thread}", "m1", seq, "x")));
            }
        }, Token)));
        await release.CancelAsync();
        await toggling;
        peer.ReleaseSends();

        await WaitUntil(() => peer.Sent.Count == Threads * FramesEach);
        Assert.Equal(0, peer.OverlappingSends);
        foreach (var thread in peer.Sent.GroupBy(ConversationOf))
        {
            Assert.Equal(Enumerable.Range(1, FramesEach), thread.Select(SeqOf));
        }
    }

    [Fact]
    public async Task ASendThatFailsEndsTheConnectionWithoutFailingTheCaller()
    {
        var peer = new RecordingPeerSocket { FailSends = true };
        using var connection = Connect(peer, CancellationToken.None);
        var running = connection.RunAsync(Dispatcher(connection));

        // The reply that brought the frame carries on: nothing is thrown at it. The connection ends, and refuses what comes after.
        Assert.True(connection.TryDeliver(new ChunkFrame("c1", "m1", 1, "token")));

        await running.WaitAsync(Token);
        Assert.True(connection.Closing.IsCancellationRequested);
        Assert.False(connection.TryDeliver(new ChunkFrame("c1", "m1", 2, "token")));
    }

    [Fact]
    public async Task AtShutdownTheFramesAlreadyTakenGoOutBeforeTheClose()
    {
        var peer = new RecordingPeerSocket();
        using var stopping = new CancellationTokenSource();
        using var connection = Connect(peer, stopping.Token);
        var running = connection.RunAsync(Dispatcher(connection));
        peer.HoldSends();
        Assert.True(connection.TryDeliver(new ChunkFrame("c1", "m1", 1, "a")));
        Assert.True(connection.TryDeliver(new ChunkFrame("c1", "m1", 2, "b")));

        await stopping.CancelAsync();
        Assert.False(connection.TryDeliver(new ChunkFrame("c1", "m1", 3, "c")));
        Assert.Empty(peer.ClosesSent);
        peer.ReleaseSends();
        await running.WaitAsync(Token);

        Assert.Equal([1, 2], peer.Sent.Select(SeqOf));
        Assert.Equal([WebSocketCloseStatus.EndpointUnavailable], peer.ClosesSent);
    }

    [Fact]
    public async Task AReplysFramesGoOutFromTheSendLoopNeverOnTheThreadThatHandsThemOver()
    {
        // A reply hands each frame to its observers under its lock: a send made there would hold the model and every
        // other client of the reply until it finished (LiveReply: observers only enqueue).
        var peer = new RecordingPeerSocket();
        var sentWhileHandingOver = 0;
        peer.BeforeEachSend = () =>
        {
            if (ReplyHandOver.IsUnderWay)
            {
                Interlocked.Increment(ref sentWhileHandingOver);
            }
        };
        using var connection = Connect(peer, CancellationToken.None);
        var reply = new LiveReply("client-1");
        reply.Attach(connection);

        ReplyHandOver.Run(() => reply.Start("c1", "model"));
        for (var i = 0; i < 20; i++)
        {
            ReplyHandOver.Run(() => reply.Append($"t{i} "));
            // The send loop waits for the next frame, where a synchronous continuation would run it on this thread.
            await WaitUntil(() => peer.Sent.Count == i + 2);
        }

        ReplyHandOver.Run(() => reply.End(FinishReasons.Stop, null));

        await WaitUntil(() => peer.Sent.Count == 22);
        Assert.True(sentWhileHandingOver == 0, $"{sentWhileHandingOver} of 22 sends ran on the thread handing the frames over.");
        Assert.Equal(Enumerable.Range(1, 20), peer.Sent.Skip(1).Take(20).Select(SeqOf));
    }

    private static int SeqOf(string frame) => JsonDocument.Parse(frame).RootElement.GetProperty("seq").GetInt32();

    private static string ConversationOf(string frame) => JsonDocument.Parse(frame).RootElement.GetProperty("conversationId").GetString()!;

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    private static readonly ChatServiceOptions s_options = new() { MaxQueuedFrames = MaxQueuedFrames };

    private static ChatSocketConnection Connect(WebSocket peer, CancellationToken stopping, int maxQueuedFrames = MaxQueuedFrames) =>
        new(peer, maxQueuedFrames == MaxQueuedFrames ? s_options : new ChatServiceOptions { MaxQueuedFrames = maxQueuedFrames }, NullLogger.Instance, stopping);

    private ClientFrameDispatcher Dispatcher(ChatSocketConnection connection) =>
        new(ChatHarness.Owner, connection, _chat.Coordinator, _chat.Broker, _chat.Switcher, _chat.Store, s_options, TimeProvider.System, NullLogger.Instance);
}

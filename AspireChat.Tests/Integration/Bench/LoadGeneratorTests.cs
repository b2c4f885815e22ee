using System.Net;
using System.Net.Sockets;
using AspireChat.Bench.Load;
using AspireChat.MockOpenAI;

namespace AspireChat.Tests.Integration.Bench;

/// <summary>The load generator's users speak the protocol, time every chunk and notice what goes wrong.</summary>
public sealed class LoadGeneratorTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AWebSocketUserTimesEveryChunkOfEachReplyAndChecksTheText()
    {
        await using var server = await ProtocolServer.StartAsync(chunksPerReply: 5, Cancellation);
        using var loop = new SocketLoop();
        await using var user = new WebSocketUser(0, server.Endpoint, loop, expectedText: MockTokens.ExpectedText(5));

        await user.ConnectAsync(Cancellation);
        var first = await user.TurnAsync(Cancellation);
        var second = await user.TurnAsync(Cancellation);

        Assert.True(first && second, $"Errors: {string.Join(", ", user.Recorder.Errors.Keys)}");
        Assert.Equal(2, user.Recorder.Replies);
        Assert.Equal(10, user.Recorder.Chunks);
        Assert.Equal(2, user.Recorder.TimeToFirstChunk.Count);
        Assert.Equal(8, user.Recorder.InterChunkGap.Count); // four gaps per five-chunk reply
        Assert.All(user.Recorder.WholeReply, ms => Assert.True(ms >= 0));
        Assert.Equal(0, user.Recorder.ErrorCount);
    }

    [Fact]
    public async Task AGapInSeqIsRecordedAsAnError()
    {
        await using var server = await ProtocolServer.StartAsync(chunksPerReply: 4, Cancellation, ProtocolServer.Behaviour.SkipSeq);
        using var loop = new SocketLoop();
        await using var user = new WebSocketUser(0, server.Endpoint, loop);

        await user.ConnectAsync(Cancellation);
        await user.TurnAsync(Cancellation);

        Assert.True(user.Recorder.Errors.GetValueOrDefault("seq_out_of_order") > 0, "A reply with a missing seq was not noticed.");
    }

    [Fact]
    public async Task ARejectedMessageFailsTheTurnWithTheServersErrorCode()
    {
        await using var server = await ProtocolServer.StartAsync(chunksPerReply: 3, Cancellation, ProtocolServer.Behaviour.Reject);
        using var loop = new SocketLoop();
        await using var user = new WebSocketUser(0, server.Endpoint, loop);

        await user.ConnectAsync(Cancellation);
        var ok = await user.TurnAsync(Cancellation);

        Assert.False(ok);
        Assert.Equal(1, user.Recorder.Errors.GetValueOrDefault("rate_limited"));
        Assert.True(user.IsConnected, "A rejected message must leave the connection open.");
    }

    [Theory]
    [InlineData("Fragmented")]
    [InlineData("Large")]
    public async Task AMessageInSeveralFramesOrWithA64BitLengthIsReadWhole(string behaviour)
    {
        await using var server = await ProtocolServer.StartAsync(chunksPerReply: 4, Cancellation, Enum.Parse<ProtocolServer.Behaviour>(behaviour));
        using var loop = new SocketLoop();
        await using var user = new WebSocketUser(0, server.Endpoint, loop);

        await user.ConnectAsync(Cancellation);
        var ok = await user.TurnAsync(Cancellation);

        Assert.True(ok, $"Errors: {string.Join(", ", user.Recorder.Errors.Keys)}");
        Assert.Equal(4, user.Recorder.Chunks);
    }

    [Fact]
    public async Task AServerThatClosesMidReplyIsRecordedWithItsCloseStatus()
    {
        await using var server = await ProtocolServer.StartAsync(chunksPerReply: 5, Cancellation, ProtocolServer.Behaviour.CloseMidReply);
        using var loop = new SocketLoop();
        await using var user = new WebSocketUser(0, server.Endpoint, loop);

        await user.ConnectAsync(Cancellation);
        var ok = await user.TurnAsync(Cancellation);

        Assert.False(ok);
        Assert.False(user.IsConnected);
        Assert.Equal(2, user.Recorder.Chunks);
        Assert.Equal(["close frame 1011 'boom'"], user.Recorder.ErrorSamples["closed_by_server"]);
    }

    [Fact]
    public async Task AReplyThatNeverEndsIsATimeoutThatSaysHowFarItGot()
    {
        await using var server = await ProtocolServer.StartAsync(chunksPerReply: 5, Cancellation, ProtocolServer.Behaviour.Silent);
        using var loop = new SocketLoop();
        await using var user = new WebSocketUser(0, server.Endpoint, loop);
        await user.ConnectAsync(Cancellation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(500));

        var ok = await user.TurnAsync(timeout.Token);

        Assert.False(ok);
        Assert.Equal(1, user.Recorder.Errors["timeout"]);
        Assert.EndsWith("after message 1 (1 chunks seen)", Assert.Single(user.Recorder.ErrorSamples["timeout"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIdleConnectionAnswersTheServersPingsAndStaysOpen()
    {
        // The server closes a client that has not answered a ping within 200 ms.
        await using var server = await ProtocolServer.StartAsync(chunksPerReply: 3, Cancellation, keepAlive: TimeSpan.FromMilliseconds(200));
        using var loop = new SocketLoop();
        await using var user = new WebSocketUser(0, server.Endpoint, loop);
        await user.ConnectAsync(Cancellation);
        using var hold = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        hold.CancelAfter(TimeSpan.FromSeconds(1.5));

        await user.HoldAsync(hold.Token);

        Assert.True(user.IsConnected, $"The server closed the held connection: {string.Join(", ", user.Recorder.ErrorSamples.SelectMany(e => e.Value))}");
        Assert.True(await user.TurnAsync(Cancellation), "A held connection can chat afterwards.");
    }

    [Fact]
    public async Task AnUpgradeTheServerRefusesIsAConnectFailureThatSaysWhy()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(), Cancellation);
        using var loop = new SocketLoop();
        // The mock's health endpoint answers a GET, but not with 101.
        await using var user = new WebSocketUser(0, new UriBuilder(mock.BaseAddress) { Scheme = "ws", Path = "/health" }.Uri, loop);

        await Assert.ThrowsAnyAsync<Exception>(() => user.ConnectAsync(Cancellation));

        Assert.False(user.IsConnected);
        Assert.StartsWith("The WebSocket upgrade was refused: the server answered 'HTTP/1.1 200", Assert.Single(user.Recorder.ErrorSamples["connect_failed"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRunnerDrivesEveryUserThroughItsTurnsAndCountsWhatArrived()
    {
        await using var server = await ProtocolServer.StartAsync(chunksPerReply: 6, Cancellation);
        using var loop = new SocketLoop();
        var users = Enumerable.Range(0, 3).Select(i => (IVirtualUser)new WebSocketUser(i, server.Endpoint, loop)).ToArray();

        var result = await LoadRunner.RunAsync(users, new LoadPlan(3, TurnsPerUser: 2, null, TimeSpan.FromMilliseconds(30)),
            [("self", Environment.ProcessId)], Cancellation);
        foreach (var user in users)
        {
            await user.DisposeAsync();
        }

        // The warm-up turn of each user is not counted.
        Assert.Equal(6, result.Replies);
        Assert.Equal(36, result.Chunks);
        Assert.Equal(3, result.ConnectionsHeld);
        Assert.Equal(0, result.ErrorCount);
        Assert.Equal(6, result.TimeToFirstChunk.Count);
        Assert.True(result.ChunksPerSecond > 0);
        Assert.Equal("self", Assert.Single(result.Processes).Name);
    }

    [Fact]
    public async Task AUserThatCannotConnectIsCountedAsNotHeld()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        using var loop = new SocketLoop();
        IVirtualUser[] users = [new WebSocketUser(0, new Uri($"ws://127.0.0.1:{port}/ws"), loop)];

        await LoadRunner.ConnectAllAsync(users, 4, Cancellation);

        Assert.False(users[0].IsConnected);
        Assert.Equal(1, users[0].Recorder.Errors["connect_failed"]);
        Assert.Contains("refused", Assert.Single(users[0].Recorder.ErrorSamples["connect_failed"]), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TheDirectBaselineReadsTheMocksStreamTokenByToken()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(tokenCount: 8), Cancellation);
        using var http = new HttpClient();
        var user = new DirectMockUser(0, http, new Uri(mock.BaseAddress, "chat/completions"), "mock", expectedTokens: 8);

        var ok = await user.TurnAsync(Cancellation);

        Assert.True(ok, $"Errors: {string.Join(", ", user.Recorder.Errors.Keys)}");
        Assert.Equal(8, user.Recorder.Chunks);
        Assert.Equal(7, user.Recorder.InterChunkGap.Count);
        Assert.Single(user.Recorder.TimeToFirstChunk);
        var request = Assert.Single(mock.Requests);
        Assert.True(request.Stream);
        Assert.Equal("Hello from user 0, message 1.", request.Messages.Single().Content);
    }

    [Fact]
    public async Task TheDirectBaselineRecordsAFailingModel()
    {
        await using var mock = await MockOpenAIServer.StartAsync(MockOpenAIOptions.Instant(), Cancellation);
        using var http = new HttpClient();
        var user = new DirectMockUser(0, http, new Uri(mock.BaseAddress, "chat/completions"), "fault-http-500");

        var ok = await user.TurnAsync(Cancellation);

        Assert.False(ok);
        Assert.Equal(1, user.Recorder.Errors.GetValueOrDefault("http_500"));
    }
}

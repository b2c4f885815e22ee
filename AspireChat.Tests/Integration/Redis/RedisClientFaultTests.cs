using System.Diagnostics;
using System.Text;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>Each test owns its server (and proxy), since each breaks them.</summary>
public sealed class RedisClientFaultTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithRedisDownCommandsFailFastAndWorkOnceItIsBack()
    {
        await using var server = await RedisServer.StartAsync();
        await server.StopAsync();
        await using var client = TestRedis.Client(server.ConnectionString);

        var down = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync(Token));
        Assert.Contains($"127.0.0.1:{server.Port}", down.Message, StringComparison.Ordinal);
        // While backing off, the next command fails at once with the same cause.
        var again = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync(Token));
        Assert.Contains("Redis", again.Message, StringComparison.Ordinal);

        await server.StartAsync();

        Assert.Equal("PONG", await TestRedis.EventuallyAsync(() => client.PingAsync(Token)));
    }

    [Fact]
    public async Task KillingRedisFailsInFlightCommandsAtOnceAndTheClientReconnectsAfterARestart()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = TestRedis.Client(server.ConnectionString, commandTimeout: TimeSpan.FromSeconds(30));
        Assert.Equal("PONG", await client.PingAsync(Token));
        // DEBUG SLEEP holds the reply back, so these are in flight when the server dies.
        var sleeping = client.ExecuteAsync(new RedisCommand("DEBUG", "SLEEP", 5), Token);
        var queued = client.PingAsync(Token);
        await Task.Delay(100, Token);
        var clock = Stopwatch.StartNew();

        await server.KillAsync();

        await Assert.ThrowsAsync<RedisConnectionException>(() => sleeping);
        await Assert.ThrowsAsync<RedisConnectionException>(() => queued);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"In-flight commands took {clock.Elapsed} to fail; they must not wait for the timeout (30 s).");

        await server.StartAsync();
        Assert.Equal("PONG", await TestRedis.EventuallyAsync(() => client.PingAsync(Token)));
    }

    [Fact]
    public async Task AConnectionCutInTheMiddleOfAReplyFailsThatCommandAndTheNextOneSucceeds()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new FaultProxy(server.Port);
        await using var client = TestRedis.Client($"127.0.0.1:{proxy.Port}");
        var key = TestRedis.Key("big");
        var value = new byte[256 * 1024];
        Random.Shared.NextBytes(value);
        await client.SetAsync(key, value, null, false, Token);

        proxy.TruncateNextServerBytes(1000);
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.GetAsync(key, Token));

        Assert.Contains($"127.0.0.1:{proxy.Port}", error.Message, StringComparison.Ordinal);
        Assert.Equal(value, await TestRedis.EventuallyAsync(() => client.GetAsync(key, Token)));
    }

    [Fact]
    public async Task CuttingEveryConnectionFailsWhatIsInFlightAndTheClientReconnects()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new FaultProxy(server.Port);
        await using var client = TestRedis.Client($"127.0.0.1:{proxy.Port}", commandTimeout: TimeSpan.FromSeconds(30));
        Assert.Equal("PONG", await client.PingAsync(Token));
        var sleeping = client.ExecuteAsync(new RedisCommand("DEBUG", "SLEEP", 1), Token);
        await Task.Delay(100, Token);

        proxy.CutAll();

        await Assert.ThrowsAsync<RedisConnectionException>(() => sleeping);
        Assert.Equal("PONG", await TestRedis.EventuallyAsync(() => client.PingAsync(Token)));
    }

    [Theory]
    [InlineData("garbage that is not RESP\r\n")]
    [InlineData("$99999999999\r\n")]
    [InlineData("$3\r\nabcdef\r\n")]
    public async Task GarbageFromTheServerRaisesAProtocolErrorResetsTheConnectionAndTheNextCommandSucceeds(string garbage)
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new FaultProxy(server.Port);
        await using var client = TestRedis.Client($"127.0.0.1:{proxy.Port}");
        Assert.Equal("PONG", await client.PingAsync(Token));

        proxy.ReplaceNextServerBytes(Encoding.ASCII.GetBytes(garbage));
        var error = await Assert.ThrowsAsync<RedisProtocolException>(() => client.PingAsync(Token));

        Assert.Contains("connection was reset", error.Message, StringComparison.Ordinal);
        Assert.Equal("PONG", await TestRedis.EventuallyAsync(() => client.PingAsync(Token)));
    }

    [Fact]
    public async Task AReplyNobodyAskedForResetsTheConnectionAndTheNextCommandSucceeds()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new FaultProxy(server.Port);
        var logger = new CapturingLogger<RedisClient>();
        await using var client = TestRedis.Client($"127.0.0.1:{proxy.Port}", logger);
        Assert.Equal("PONG", await client.PingAsync(Token));

        // Well-formed RESP, but two replies for one command: the stream is out of step.
        proxy.ReplaceNextServerBytes(":1\r\n:2\r\n"u8.ToArray());
        await client.ExecuteAsync(new RedisCommand("INCR", TestRedis.Key("n")), Token);

        // The stray reply is only detectable while no command waits: a PING sent before the
        // reader reaches it would be paired with it, as in any pipelined RESP client.
        await TestRedis.WaitUntilAsync(
            () => logger.Text.Contains("A reply arrived with no command waiting for it", StringComparison.Ordinal),
            $"The stray reply was not reported.{Environment.NewLine}{logger.Text}");
        Assert.Equal("PONG", await TestRedis.EventuallyAsync(() => client.PingAsync(Token)));
    }

    [Fact]
    public async Task ASlowRedisTimesCommandsOutWithoutStarvingThreadsOrOtherClients()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new FaultProxy(server.Port);
        await using var slow = TestRedis.Client($"127.0.0.1:{proxy.Port}", commandTimeout: TimeSpan.FromMilliseconds(300));
        await using var direct = TestRedis.Client(server.ConnectionString);
        Assert.Equal("PONG", await slow.PingAsync(Token));
        proxy.Latency = TimeSpan.FromSeconds(3);

        var slowCommands = Enumerable.Range(0, 200).Select(_ => slow.PingAsync(Token)).ToArray();
        // Meanwhile the thread pool is free and another conversation's connection answers.
        var threadPool = Task.Run(() => 42, Token);
        var other = direct.PingAsync(Token);

        Assert.Equal(42, await threadPool.WaitAsync(TimeSpan.FromSeconds(2), Token));
        Assert.Equal("PONG", await other.WaitAsync(TimeSpan.FromSeconds(2), Token));
        foreach (var command in slowCommands)
        {
            var error = await Assert.ThrowsAsync<RedisTimeoutException>(() => command.WaitAsync(TimeSpan.FromSeconds(2), Token));
            Assert.Contains("PING got no reply from Redis within 300 ms", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ACancelledCommandDoesNotShiftTheRepliesOfTheCommandsAfterIt()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new FaultProxy(server.Port);
        await using var client = TestRedis.Client($"127.0.0.1:{proxy.Port}");
        Assert.Equal("PONG", await client.PingAsync(Token));
        proxy.Latency = TimeSpan.FromMilliseconds(300);

        using var cancel = new CancellationTokenSource();
        var cancelled = client.ExecuteAsync(new RedisCommand("ECHO", "first"), cancel.Token);
        var second = client.ExecuteAsync(new RedisCommand("ECHO", "second"), Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal("second", (await second).AsString());
        proxy.Latency = TimeSpan.Zero;
        Assert.Equal("third", (await client.ExecuteAsync(new RedisCommand("ECHO", "third"), Token)).AsString());
    }

    [Fact]
    public async Task TheSubscriberSubscribesAgainAfterRedisRestarts()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = TestRedis.Client(server.ConnectionString);
        var channel = TestRedis.Key("channel");
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await client.SubscribeAsync(channel, m => received.TrySetResult(Encoding.UTF8.GetString(m.Payload.Span)), Token);

        await server.KillAsync();
        await server.StartAsync();

        // PUBLISH answers how many subscribers got it: 1 once the subscriber is back.
        await TestRedis.EventuallyAsync(async () =>
            await client.PublishAsync(channel, "after restart", Token) == 1 ? true : throw new RedisException("not subscribed yet"));
        Assert.Equal("after restart", await received.Task.WaitAsync(TimeSpan.FromSeconds(5), Token));
    }
}

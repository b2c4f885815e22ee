using System.Diagnostics;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// Redis lost, back, slow or misconfigured, under the multiplexer ChatApi uses (StackExchange.Redis as
/// AddRedisClient makes it). Each test owns its server (and proxy), since each breaks them.
/// </summary>
public sealed class RedisFaultTests
{
    private const string Password = "Zx81QwErTy12UiOp34AsDf";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RedisKilledAndRestartedLosesNoAcknowledgedTurnAndTheSameMultiplexerWorksAgain()
    {
        // Persistent, as a production Redis: an fsync'd append-only file.
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Persistent = true, Password = Password });
        await using var redis = TestRedis.Connect(server.ConnectionString, timeoutMilliseconds: 1000);
        var store = new RedisConversationStore(redis, Options.Create(new ConversationOptions()), TimeProvider.System);
        var conversation = await store.CreateAsync("owner", "kill", Token);
        var acknowledged = new List<string>();
        var failed = 0;

        // Turns are appended while Redis dies and comes back; each one either says it was saved or throws.
        for (var i = 0; i < 60 && (failed == 0 || acknowledged.Count < 40); i++)
        {
            if (i == 20)
            {
                await server.KillAsync();
            }

            if (failed == 3)
            {
                await server.StartAsync();
            }

            var user = new ConversationMessage($"u{i}", MessageRoles.User, $"turn {i}", DateTimeOffset.UtcNow);
            var reply = new ConversationMessage($"a{i}", MessageRoles.Assistant, $"reply {i}", DateTimeOffset.UtcNow);
            try
            {
                Assert.True(await store.AppendTurnAsync("owner", conversation.Id, user, reply, Token));
                acknowledged.Add(user.Id);
            }
            catch (Exception exception) when (exception is RedisException or RedisTimeoutException)
            {
                failed++;
                await Task.Delay(50, Token);
            }
        }

        Assert.True(failed >= 3, "No append failed: Redis was not down while the turns were written.");
        var saved = (await TestRedis.EventuallyAsync(() => store.GetAsync("owner", conversation.Id, Token)))!.Messages.Where(m => m.Role == MessageRoles.User).Select(m => m.Id).ToList();
        Assert.Empty(acknowledged.Except(saved));
        Assert.Equal(saved.Distinct().Count(), saved.Count);
    }

    [Fact]
    public async Task KillingRedisFailsWhatIsInFlightWithoutWaitingForTheTimeoutAndTheMultiplexerReconnects()
    {
        await using var server = await RedisServer.StartAsync();
        // allowAdmin: for DEBUG SLEEP.
        await using var redis = TestRedis.Connect(server.ConnectionString + ",allowAdmin=true", timeoutMilliseconds: 30_000);
        var database = redis.GetDatabase();
        await database.PingAsync();
        // DEBUG SLEEP holds the reply back, so these are in flight when the server dies.
        var sleeping = database.ExecuteAsync("DEBUG", "SLEEP", 5);
        var queued = database.StringGetAsync(TestRedis.Key("queued"));
        await Task.Delay(100, Token);
        var clock = Stopwatch.StartNew();

        await server.KillAsync();

        await Assert.ThrowsAsync<RedisConnectionException>(() => sleeping);
        await Assert.ThrowsAsync<RedisConnectionException>(() => queued);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"In-flight commands took {clock.Elapsed} to fail; they must not wait for the timeout (30 s).");
        await server.StartAsync();
        await TestRedis.EventuallyAsync(() => database.PingAsync());
    }

    [Fact]
    public async Task SubscriptionsAreMadeAgainAfterRedisRestarts()
    {
        await using var server = await RedisServer.StartAsync();
        await using var redis = TestRedis.Connect(server.ConnectionString);
        var channel = RedisChannel.Literal(TestRedis.Key("channel"));
        var queue = await redis.GetSubscriber().SubscribeAsync(channel);

        await server.KillAsync();
        await server.StartAsync();

        // PUBLISH answers how many subscribers got it: 1 once the multiplexer has subscribed again.
        await TestRedis.EventuallyAsync(async () =>
            await redis.GetSubscriber().PublishAsync(channel, "after restart") == 1 ? true : throw new RedisException("not subscribed yet"));
        using var read = CancellationTokenSource.CreateLinkedTokenSource(Token);
        read.CancelAfter(TimeSpan.FromSeconds(5));
        Assert.Equal("after restart", (string?)(await queue.ReadAsync(read.Token)).Message);
    }

    [Fact]
    public async Task ASlowRedisTimesCommandsOutWithoutStarvingThreadsOrOtherConnections()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new FaultProxy(server.Port);
        await using var slow = TestRedis.Connect($"127.0.0.1:{proxy.Port}", timeoutMilliseconds: 300);
        await using var direct = TestRedis.Connect(server.ConnectionString);
        await slow.GetDatabase().PingAsync();
        proxy.Latency = TimeSpan.FromSeconds(3);

        var slowCommands = Enumerable.Range(0, 200).Select(i => slow.GetDatabase().StringGetAsync($"slow:{i}")).ToArray();
        // Meanwhile the thread pool is free and another connection answers.
        var threadPool = Task.Run(() => 42, Token);
        var other = direct.GetDatabase().PingAsync();

        Assert.Equal(42, await threadPool.WaitAsync(TimeSpan.FromSeconds(2), Token));
        await other.WaitAsync(TimeSpan.FromSeconds(2), Token);
        foreach (var command in slowCommands)
        {
            await Assert.ThrowsAsync<RedisTimeoutException>(() => command.WaitAsync(TimeSpan.FromSeconds(3), Token));
        }
    }

    [Fact]
    public async Task AWrongPasswordIsAClearErrorAndThePasswordsAreInNoMessageOrLog()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        const string wrong = "WrongWrongWrong1234567";
        var logs = new CapturingLogger<object>();
        await using var redis = ConnectForTheRefusal($"127.0.0.1:{server.Port},password={wrong}", logs);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.GetDatabase().PingAsync());

        Assert.Equal(ConnectionFailureType.AuthenticationFailure, error.FailureType);
        Assert.Contains("authentication", error.ToString(), StringComparison.OrdinalIgnoreCase);
        AssertNowhere(wrong, error, logs);
        AssertNowhere(Password, error, logs);
    }

    [Fact]
    public async Task NoPasswordForAServerThatRequiresOneIsAClearError()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        await using var redis = ConnectForTheRefusal($"127.0.0.1:{server.Port}");

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.GetDatabase().PingAsync());

        Assert.Equal(ConnectionFailureType.AuthenticationFailure, error.FailureType);
        Assert.Contains("NOAUTH", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Long enough for the server's refusal to arrive: a handshake cut off by the connect timeout, or a command by its
    /// own, fails as UnableToConnect rather than with the reason, and a loaded CI machine once took over 2 s for it.
    /// </summary>
    private static ConnectionMultiplexer ConnectForTheRefusal(string connectionString, ILoggerFactory? logs = null) =>
        TestRedis.Connect(connectionString, logs, timeoutMilliseconds: 15_000, connectTimeoutMilliseconds: 5_000);

    [Fact]
    public async Task TlsWithAPasswordConnectsWhenTheServerCertificateIsTrusted()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true, Password = Password });
        var logs = new CapturingLogger<object>();
        await using var redis = TestRedis.Connect(server.ConnectionString, logs, certificateValidation: server.CertificateValidation);
        var key = TestRedis.Key("tls");

        await redis.GetDatabase().StringSetAsync(key, "over TLS");

        Assert.Equal("over TLS", (string?)await redis.GetDatabase().StringGetAsync(key));
        Assert.DoesNotContain(Password, logs.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUntrustedServerCertificateIsRefused()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true, Password = Password });
        var logs = new CapturingLogger<object>();
        // The system trust does not know the test's self-signed certificate.
        await using var redis = TestRedis.Connect(server.ConnectionString, logs, timeoutMilliseconds: 1000);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.GetDatabase().PingAsync());

        Assert.Contains("certificate", error.ToString() + logs.Text, StringComparison.OrdinalIgnoreCase);
        AssertNowhere(Password, error, logs);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task TlsOnOneSideOnlyFailsToConnectAndShowsNoPassword(bool serverTls, bool clientTls)
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = serverTls, Password = Password });
        var logs = new CapturingLogger<object>();
        await using var redis = TestRedis.Connect($"127.0.0.1:{server.Port},password={Password},ssl={clientTls}", logs, timeoutMilliseconds: 1000, certificateValidation: server.CertificateValidation);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.GetDatabase().PingAsync());

        Assert.False(redis.IsConnected);
        AssertNowhere(Password, error, logs);
    }

    private static void AssertNowhere(string secret, Exception error, CapturingLogger<object> logs)
    {
        Assert.DoesNotContain(secret, error.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(secret, logs.Text, StringComparison.Ordinal);
    }
}

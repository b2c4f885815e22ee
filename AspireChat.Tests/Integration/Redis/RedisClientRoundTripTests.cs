using System.Text;
using AspireChat.ChatApi.Redis;

namespace AspireChat.Tests.Integration.Redis;

public sealed class RedisClientRoundTripTests(SharedRedisServer redis) : IClassFixture<SharedRedisServer>
{
    public static TheoryData<string> AwkwardTexts => new()
    {
        "line one\nline two",
        "carriage\r\nreturn\r\n",
        "$5\r\nfake\r\n*1\r\n",
        "emoji 😀👩‍👩‍👧 and ünïcödé",
        "",
        " ",
    };

    [Fact]
    public async Task TheFirstReachableEndpointWinsAndUnknownOptionsAreLoggedAndIgnored()
    {
        var nobodyListens = Fixtures.ServiceProcess.FreeTcpPort();
        var logger = new CapturingLogger<RedisClient>();
        await using var client = TestRedis.Client($"127.0.0.1:{nobodyListens},{redis.Server.ConnectionString},allowAdmin=true,abortConnect=false", logger);

        Assert.Equal("PONG", await client.PingAsync(TestContext.Current.CancellationToken));
        Assert.Contains(logger.Lines, l => l.Contains("'allowAdmin' is not used by this client and was ignored", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.Contains($"Connected to Redis at 127.0.0.1:{redis.Server.Port}", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(AwkwardTexts))]
    public async Task KeysAndValuesWithNewlinesAndEmojiRoundTripExactly(string text)
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        var key = TestRedis.Key(text);

        await client.SetAsync(key, text, expiry: null, onlyIfNotExists: false, TestContext.Current.CancellationToken);
        var read = await client.GetAsync(key, TestContext.Current.CancellationToken);

        Assert.Equal(text, Encoding.UTF8.GetString(read!));
    }

    [Fact]
    public async Task BinaryKeysAndValuesRoundTripByteForByte()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        byte[] key = [.. Encoding.ASCII.GetBytes(TestRedis.Key("bin")), 0, 13, 10, 255];
        var value = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        await client.SetAsync(key, value, null, false, TestContext.Current.CancellationToken);

        Assert.Equal(value, await client.GetAsync(key, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AOneMebibyteValueRoundTripsAmongOtherCommands()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        var key = TestRedis.Key("big");
        var value = new byte[1024 * 1024 + 1];
        Random.Shared.NextBytes(value);

        await client.SetAsync(key, value, null, false, TestContext.Current.CancellationToken);
        var big = client.GetAsync(key, TestContext.Current.CancellationToken);
        var ping = client.PingAsync(TestContext.Current.CancellationToken);

        Assert.Equal(value, await big);
        Assert.Equal("PONG", await ping);
    }

    [Fact]
    public async Task AThousandConcurrentCommandsOnOneConnectionEachGetTheirOwnReply()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        var prefix = TestRedis.Key("many");

        var results = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(i => Task.Run(async () =>
        {
            var value = $"value-{i}-" + new string('x', i % 97);
            // ECHO's reply is the argument: any reply handed to the wrong caller shows.
            var echoed = (await client.ExecuteAsync(new RedisCommand("ECHO", value), TestContext.Current.CancellationToken)).AsString();
            var counter = (await client.ExecuteAsync(new RedisCommand("INCRBY", $"{prefix}:{i}", i), TestContext.Current.CancellationToken)).Number;
            return (i, value, echoed, counter);
        })));

        Assert.All(results, r =>
        {
            Assert.Equal(r.value, r.echoed);
            Assert.Equal(r.i, r.counter);
        });
    }

    [Fact]
    public async Task TransactionsFromManyCallersNeverInterleave()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        var key = TestRedis.Key("list");

        // Each transaction pushes two values and reads the list's length: if another caller's
        // command landed between them, a length would be odd or repeated.
        var lengths = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            var replies = await client.TransactionAsync(
                [new RedisCommand("RPUSH", key, $"a{i}"), new RedisCommand("RPUSH", key, $"b{i}"), new RedisCommand("LLEN", key)],
                TestContext.Current.CancellationToken);
            return replies![2].Number;
        })));

        Assert.Equal(Enumerable.Range(1, 200).Select(n => (long)n * 2), lengths.Order());
        var all = await client.LRangeAsync(key, 0, -1, TestContext.Current.CancellationToken);
        for (var i = 0; i < all.Count; i += 2)
        {
            Assert.Equal(Encoding.UTF8.GetString(all[i].Span)[1..], Encoding.UTF8.GetString(all[i + 1].Span)[1..]);
        }
    }

    [Fact]
    public async Task ACommandRedisRefusesToQueueDiscardsTheWholeTransaction()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        var key = TestRedis.Key("abort");

        var error = await Assert.ThrowsAsync<RedisServerException>(() => client.TransactionAsync(
            [new RedisCommand("SET", key, "1"), new RedisCommand("NOSUCHCOMMAND")], TestContext.Current.CancellationToken));

        Assert.Contains("NOSUCHCOMMAND", error.Message, StringComparison.Ordinal);
        Assert.Null(await client.GetAsync(key, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AServerErrorReplyCarriesTheServersMessage()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        var key = TestRedis.Key("type");
        await client.SetAsync(key, "text", null, false, TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<RedisServerException>(() => client.LRangeAsync(key, 0, -1, TestContext.Current.CancellationToken));

        Assert.Equal("WRONGTYPE", error.Prefix);
        Assert.Equal("PONG", await client.PingAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SetWithNxAndPxActsAsALease()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        var key = TestRedis.Key("lease");

        Assert.True(await client.SetAsync(key, "owner-1", TimeSpan.FromSeconds(30), onlyIfNotExists: true, TestContext.Current.CancellationToken));
        Assert.False(await client.SetAsync(key, "owner-2", TimeSpan.FromSeconds(30), onlyIfNotExists: true, TestContext.Current.CancellationToken));

        var ttl = (await client.ExecuteAsync(new RedisCommand("PTTL", key), TestContext.Current.CancellationToken)).Number;
        Assert.InRange(ttl, 1, 30_000);
        Assert.Equal("owner-1", Encoding.UTF8.GetString((await client.GetAsync(key, TestContext.Current.CancellationToken))!));
    }

    [Fact]
    public async Task StreamsAppendRangeAndBlockingReadOnADedicatedConnection()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        var key = TestRedis.Key("stream");
        var first = await client.XAddAsync(key, 1000, [new("seq", 1L), new("content", "Hel")], TestContext.Current.CancellationToken);

        await using var lease = await client.LeaseAsync(TestContext.Current.CancellationToken);
        var blocked = lease.XReadAsync(key, first, 10, TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(blocked.IsCompleted, "XREAD BLOCK returned before anything was added.");
        // The shared connection keeps working while the dedicated one is blocked.
        var second = await client.XAddAsync(key, 1000, [new("seq", 2L), new("content", "lo\r\n😀")], TestContext.Current.CancellationToken);

        var read = await blocked;
        var range = await client.XRangeAsync(key, "-", "+", null, TestContext.Current.CancellationToken);

        Assert.Equal(second, Assert.Single(read).Id);
        Assert.Equal("lo\r\n😀", Encoding.UTF8.GetString(read[0].Fields[1].Value.Span));
        Assert.Equal([first, second], range.Select(e => e.Id));
        Assert.Equal(["seq", "content"], range[0].Fields.Select(f => f.Key));
    }

    [Fact]
    public async Task ABlockingReadThatTimesOutReturnsNothing()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        await using var lease = await client.LeaseAsync(TestContext.Current.CancellationToken);

        var read = await lease.XReadAsync(TestRedis.Key("empty"), "0-0", 10, TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);

        Assert.Empty(read);
    }

    [Fact]
    public async Task TheSharedConnectionRefusesBlockingCommands()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            client.XReadAsync(TestRedis.Key("s"), "0-0", 1, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task PublishedMessagesReachEverySubscriberOfTheChannelUntilItUnsubscribes()
    {
        await using var client = TestRedis.Client(redis.Server.ConnectionString);
        var channel = TestRedis.Key("channel");
        var received = new List<string>();
        var gotTwo = new TaskCompletionSource();

        var subscription = await client.SubscribeAsync(channel, message =>
        {
            lock (received)
            {
                received.Add(Encoding.UTF8.GetString(message.Payload.Span));
                if (received.Count == 2)
                {
                    gotTwo.TrySetResult();
                }
            }
        }, TestContext.Current.CancellationToken);
        Assert.Equal(1, await client.PublishAsync(channel, "one\r\n", TestContext.Current.CancellationToken));
        await client.PublishAsync(TestRedis.Key("other"), "not for us", TestContext.Current.CancellationToken);
        await client.PublishAsync(channel, "two 😀", TestContext.Current.CancellationToken);
        await gotTwo.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await subscription.DisposeAsync();

        Assert.Equal(["one\r\n", "two 😀"], received);
        Assert.Equal(0, await client.PublishAsync(channel, "after", TestContext.Current.CancellationToken));
    }
}

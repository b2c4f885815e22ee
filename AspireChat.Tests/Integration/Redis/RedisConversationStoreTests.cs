using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

public sealed class RedisConversationStoreTests(SharedRedis redis) : IClassFixture<SharedRedis>, IAsyncDisposable
{
    private readonly string _owner = ConversationIds.New();
    // The store's multiplexer, as AddRedisClient makes it, on the test's Redis (UseAsync).
    private ConnectionMultiplexer? _client;
    // Another client, as another process would be: SCRIPT FLUSH and INFO need allowAdmin.
    private ConnectionMultiplexer? _admin;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
    }

    private async Task UseAsync(RedisTopology topology)
    {
        var connectionString = await redis.ConnectionStringAsync(topology);
        _client = TestRedis.Connect(connectionString);
        _admin = TestRedis.Connect(connectionString + ",allowAdmin=true");
    }

    [Theory, RedisTopologies]
    public async Task ACreatedConversationIsListedAndReadBackEmpty(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();

        var created = await store.CreateAsync(_owner, "Hello\r\n😀", Token);
        var listed = await store.ListAsync(_owner, Token);
        var read = await store.GetAsync(_owner, created.Id, Token);

        Assert.True(ConversationIds.IsWellFormed(created.Id));
        Assert.Equal([created], listed);
        Assert.Equal("Hello\r\n😀", read!.Title);
        Assert.Empty(read.Messages);
        Assert.Equal(created.CreatedAt, read.CreatedAt);
    }

    [Theory, RedisTopologies]
    public async Task TurnsAreStoredExactlyAndInOrder(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "t", Token);
        var (user1, reply1) = Turn("first line\nsecond\r\n\"quoted\" 😀");
        var (user2, reply2) = Turn(new string('x', 1024 * 1024));

        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user1, reply1, Token));
        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user2, reply2, Token));
        var read = await store.GetAsync(_owner, conversation.Id, Token);

        Assert.Equal([user1, reply1, user2, reply2], read!.Messages);
        Assert.Equal(4, Assert.Single(await store.ListAsync(_owner, Token)).MessageCount);
    }

    [Theory, RedisTopologies]
    public async Task AnotherOwnersConversationIsNotFoundForEveryOperation(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "mine", Token);
        var stranger = ConversationIds.New();
        var (user, reply) = Turn("hi");

        Assert.Null(await store.GetAsync(stranger, conversation.Id, Token));
        Assert.Empty(await store.ListAsync(stranger, Token));
        Assert.False(await store.AppendTurnAsync(stranger, conversation.Id, user, reply, Token));
        Assert.False(await store.DeleteAsync(stranger, conversation.Id, Token));
        Assert.False(await store.AppendTurnAsync(_owner, ConversationIds.New(), user, reply, Token));
        Assert.Empty((await store.GetAsync(_owner, conversation.Id, Token))!.Messages);
    }

    [Theory, RedisTopologies]
    public async Task HistoryIsCappedByTrimmingTheOldestMessages(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store(new ConversationOptions { MaxMessages = 4 });
        var conversation = await store.CreateAsync(_owner, "cap", Token);
        var turns = Enumerable.Range(0, 3).Select(i => Turn($"message {i}")).ToList();

        foreach (var (user, reply) in turns)
        {
            await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token);
        }

        var read = await store.GetAsync(_owner, conversation.Id, Token);
        Assert.Equal([turns[1].User, turns[1].Reply, turns[2].User, turns[2].Reply], read!.Messages);
    }

    [Theory, RedisTopologies]
    public async Task EveryWriteSetsTheTimeToLiveOfEveryKey(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store(new ConversationOptions { TimeToLive = TimeSpan.FromMinutes(10) });
        var conversation = await store.CreateAsync(_owner, "ttl", Token);
        var (user, reply) = Turn("hi");
        await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token);

        foreach (var key in new[] { RedisKeys.Conversation(conversation.Id), RedisKeys.MessagesById(conversation.Id), RedisKeys.MessageOrder(conversation.Id), RedisKeys.OwnerConversations(_owner) })
        {
            var ttl = await _client!.GetDatabase().KeyTimeToLiveAsync(key);
            Assert.InRange(ttl!.Value.TotalMilliseconds, 9 * 60_000, 10 * 60_000);
        }
    }

    [Theory, RedisTopologies]
    public async Task ConversationsAreListedMostRecentlyUpdatedFirst(RedisTopology topology)
    {
        await UseAsync(topology);
        var time = new ManualTime(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = Store(time: time);
        var older = await store.CreateAsync(_owner, "older", Token);
        time.Advance(TimeSpan.FromSeconds(1));
        var newer = await store.CreateAsync(_owner, "newer", Token);
        time.Advance(TimeSpan.FromSeconds(1));
        var (user, reply) = Turn("bump");

        Assert.Equal(["newer", "older"], (await store.ListAsync(_owner, Token)).Select(c => c.Title));
        await store.AppendTurnAsync(_owner, older.Id, user, reply, Token);

        var listed = await store.ListAsync(_owner, Token);
        Assert.Equal([older.Id, newer.Id], listed.Select(c => c.Id));
        Assert.Equal(time.GetUtcNow(), listed[0].UpdatedAt);
    }

    [Theory, RedisTopologies]
    public async Task ConcurrentTurnsInOneConversationAreAllKeptEachWithItsReply(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "busy", Token);
        var turns = Enumerable.Range(0, 20).Select(i => Turn($"turn {i}")).ToList();

        var appended = await Task.WhenAll(turns.Select(t => Task.Run(() => store.AppendTurnAsync(_owner, conversation.Id, t.User, t.Reply, Token))));

        Assert.All(appended, Assert.True);
        var messages = (await store.GetAsync(_owner, conversation.Id, Token))!.Messages;
        Assert.Equal(40, messages.Count);
        for (var i = 0; i < messages.Count; i += 2)
        {
            Assert.Equal(MessageRoles.User, messages[i].Role);
            Assert.Equal(messages[i].Content, messages[i + 1].Content.Replace("reply to ", "", StringComparison.Ordinal));
        }
    }

    [Theory, RedisTopologies]
    public async Task RetryingATurnWhoseWriteWentThroughDoesNotDuplicateIt(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "retry", Token);
        var (user, reply) = Turn("once");

        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token));
        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token));

        Assert.Equal(2, (await store.GetAsync(_owner, conversation.Id, Token))!.Messages.Count);
    }

    [Theory, RedisTopologies]
    public async Task ADeletedConversationIsGoneAndATurnAfterItIsRefused(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "bye", Token);
        var (user, reply) = Turn("hi");
        await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token);

        Assert.True(await store.DeleteAsync(_owner, conversation.Id, Token));

        Assert.Null(await store.GetAsync(_owner, conversation.Id, Token));
        Assert.Empty(await store.ListAsync(_owner, Token));
        Assert.False(await store.DeleteAsync(_owner, conversation.Id, Token));
        Assert.False(await store.AppendTurnAsync(_owner, conversation.Id, Turn("late").User, Turn("late").Reply, Token));
        Assert.Equal(0, await _client!.GetDatabase().KeyExistsAsync([.. RedisKeys.ConversationKeys(conversation.Id).Select(key => (RedisKey)key)]));
    }

    [Theory, RedisTopologies]
    public async Task AppendsRacingADeleteNeverBringTheConversationBack(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "race", Token);
        var turns = Enumerable.Range(0, 40).Select(i => Turn($"turn {i}")).ToList();

        var appending = turns.Select(t => Task.Run(() => store.AppendTurnAsync(_owner, conversation.Id, t.User, t.Reply, Token))).ToList();
        var deleted = await store.DeleteAsync(_owner, conversation.Id, Token);
        await Task.WhenAll(appending);

        Assert.True(deleted);
        Assert.Null(await store.GetAsync(_owner, conversation.Id, Token));
        var left = await _client!.GetDatabase().KeyExistsAsync([.. RedisKeys.ConversationKeys(conversation.Id).Select(key => (RedisKey)key)]);
        Assert.True(left == 0, $"{left} of the conversation's keys outlived its delete.");
        Assert.Empty(await store.ListAsync(_owner, Token));
    }

    [Theory, RedisTopologies]
    public async Task ATurnIsAppendedOnceWhenRedisHasForgottenTheScript(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "flushed", Token);
        var (first, firstReply) = Turn("before");
        var (user, reply) = Turn("after the flush");
        await store.AppendTurnAsync(_owner, conversation.Id, first, firstReply, Token);

        var refusedBefore = await NoScriptErrorsAsync();

        // As after a Redis restart, by another client: the store's EVALSHA gets NOSCRIPT, and StackExchange.Redis sends the script's text.
        await FlushScriptsAsync();
        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token));
        await FlushScriptsAsync();
        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token));

        Assert.Equal([first, firstReply, user, reply], (await store.GetAsync(_owner, conversation.Id, Token))!.Messages);
        Assert.True(await NoScriptErrorsAsync() >= refusedBefore + 2, "Redis never answered NOSCRIPT: the test did not reach the path it is about.");
    }

    [Theory, RedisTopologies]
    public async Task ManyTurnsEndingAtOnceAreWrittenOverTheSharedConnectionWithoutOpeningOthers(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversations = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => store.CreateAsync(_owner, $"c{i}", Token)));
        var connectionsBefore = await ConnectionsReceivedAsync();

        var appended = await Task.WhenAll(conversations.Select(c => Task.Run(() => store.AppendTurnAsync(_owner, c.Id, Turn("hi").User, Turn("hi").Reply, Token))));

        Assert.All(appended, Assert.True);
        Assert.Equal(connectionsBefore, await ConnectionsReceivedAsync());
    }

    /// <summary>The server, or on a cluster every master: where the keys and the scripts are.</summary>
    private IEnumerable<IServer> Primaries => _admin!.GetServers().Where(server => !server.IsReplica);

    private Task FlushScriptsAsync() => Task.WhenAll(Primaries.Select(server => server.ScriptFlushAsync()));

    private Task<long> ConnectionsReceivedAsync() => InfoSumAsync("stats", "total_connections_received", value => value);

    /// <summary>How often Redis answered NOSCRIPT since it started (INFO errorstats: <c>errorstat_NOSCRIPT:count=N</c>).</summary>
    private Task<long> NoScriptErrorsAsync() => InfoSumAsync("errorstats", "errorstat_NOSCRIPT", value => value["count=".Length..]);

    /// <summary>An INFO counter, summed over the primaries (0 where one does not have it).</summary>
    private async Task<long> InfoSumAsync(string section, string key, Func<string, string> number)
    {
        var values = await Task.WhenAll(Primaries.Select(async server =>
            (await server.InfoAsync(section)).SelectMany(group => group).SingleOrDefault(pair => pair.Key == key).Value));
        return values.Sum(value => value is null ? 0 : long.Parse(number(value), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory, RedisTopologies]
    public async Task TheStoreSurvivesANewClientAsItWouldARestart(RedisTopology topology)
    {
        await UseAsync(topology);
        var conversation = await Store().CreateAsync(_owner, "persist", Token);
        var (user, reply) = Turn("remember me");
        await Store().AppendTurnAsync(_owner, conversation.Id, user, reply, Token);

        await using var fresh = TestRedis.Connect(await redis.ConnectionStringAsync(topology));
        var read = await new RedisConversationStore(fresh, Options.Create(new ConversationOptions()), TimeProvider.System).GetAsync(_owner, conversation.Id, Token);

        Assert.Equal([user, reply], read!.Messages);
    }

    private RedisConversationStore Store(ConversationOptions? options = null, TimeProvider? time = null) =>
        new(_client!, Options.Create(options ?? new ConversationOptions()), time ?? TimeProvider.System);

    private static (ConversationMessage User, ConversationMessage Reply) Turn(string content)
    {
        var now = DateTimeOffset.UtcNow;
        var userId = ConversationIds.New();
        return (
            new ConversationMessage(userId, MessageRoles.User, content, now),
            new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, "reply to " + content, now.AddTicks(1), "stop", new TokenUsage(3, 4, 7), ParentId: userId));
    }

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}

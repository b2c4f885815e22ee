using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

public sealed class RedisConversationStoreTests(SharedRedisServer redis) : IClassFixture<SharedRedisServer>, IAsyncDisposable
{
    // The store's multiplexer, as AddRedisClient makes it.
    private readonly ConnectionMultiplexer _client = TestRedis.Connect(redis.Server.ConnectionString);
    // Another client, as another process would be: SCRIPT FLUSH and INFO need allowAdmin.
    private readonly ConnectionMultiplexer _admin = TestRedis.Connect(redis.Server.ConnectionString + ",allowAdmin=true");
    private readonly string _owner = ConversationIds.New();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        await _admin.DisposeAsync();
    }

    [Fact]
    public async Task ACreatedConversationIsListedAndReadBackEmpty()
    {
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

    [Fact]
    public async Task TurnsAreStoredExactlyAndInOrder()
    {
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

    [Fact]
    public async Task AnotherOwnersConversationIsNotFoundForEveryOperation()
    {
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

    [Fact]
    public async Task HistoryIsCappedByTrimmingTheOldestMessages()
    {
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

    [Fact]
    public async Task EveryWriteSetsTheTimeToLiveOfEveryKey()
    {
        var store = Store(new ConversationOptions { TimeToLive = TimeSpan.FromMinutes(10) });
        var conversation = await store.CreateAsync(_owner, "ttl", Token);
        var (user, reply) = Turn("hi");
        await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token);

        foreach (var key in new[] { $"aspirechat:conversation:{conversation.Id}", $"aspirechat:conversation:{conversation.Id}:messages", $"aspirechat:owner:{_owner}:conversations" })
        {
            var ttl = await _client.GetDatabase().KeyTimeToLiveAsync(key);
            Assert.InRange(ttl!.Value.TotalMilliseconds, 9 * 60_000, 10 * 60_000);
        }
    }

    [Fact]
    public async Task ConversationsAreListedMostRecentlyUpdatedFirst()
    {
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

    [Fact]
    public async Task ConcurrentTurnsInOneConversationAreAllKeptEachWithItsReply()
    {
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

    [Fact]
    public async Task RetryingATurnWhoseWriteWentThroughDoesNotDuplicateIt()
    {
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "retry", Token);
        var (user, reply) = Turn("once");

        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token));
        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token));

        Assert.Equal(2, (await store.GetAsync(_owner, conversation.Id, Token))!.Messages.Count);
    }

    [Fact]
    public async Task ADeletedConversationIsGoneAndATurnAfterItIsRefused()
    {
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "bye", Token);
        var (user, reply) = Turn("hi");
        await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token);

        Assert.True(await store.DeleteAsync(_owner, conversation.Id, Token));

        Assert.Null(await store.GetAsync(_owner, conversation.Id, Token));
        Assert.Empty(await store.ListAsync(_owner, Token));
        Assert.False(await store.DeleteAsync(_owner, conversation.Id, Token));
        Assert.False(await store.AppendTurnAsync(_owner, conversation.Id, Turn("late").User, Turn("late").Reply, Token));
        Assert.False(await _client.GetDatabase().KeyExistsAsync($"aspirechat:conversation:{conversation.Id}:messages"));
    }

    [Fact]
    public async Task AppendsRacingADeleteNeverBringTheConversationBack()
    {
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "race", Token);
        var turns = Enumerable.Range(0, 40).Select(i => Turn($"turn {i}")).ToList();

        var appending = turns.Select(t => Task.Run(() => store.AppendTurnAsync(_owner, conversation.Id, t.User, t.Reply, Token))).ToList();
        var deleted = await store.DeleteAsync(_owner, conversation.Id, Token);
        await Task.WhenAll(appending);

        Assert.True(deleted);
        Assert.Null(await store.GetAsync(_owner, conversation.Id, Token));
        var left = await _client.GetDatabase().KeyExistsAsync([$"aspirechat:conversation:{conversation.Id}", $"aspirechat:conversation:{conversation.Id}:messages"]);
        Assert.True(left == 0, $"{left} of the conversation's keys outlived its delete.");
        Assert.Empty(await store.ListAsync(_owner, Token));
    }

    [Fact]
    public async Task ATurnIsAppendedOnceWhenRedisHasForgottenTheScript()
    {
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "flushed", Token);
        var (first, firstReply) = Turn("before");
        var (user, reply) = Turn("after the flush");
        await store.AppendTurnAsync(_owner, conversation.Id, first, firstReply, Token);

        var refusedBefore = await NoScriptErrorsAsync();

        // As after a Redis restart, by another client: the store's EVALSHA gets NOSCRIPT, and StackExchange.Redis sends the script's text.
        await Server.ScriptFlushAsync();
        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token));
        await Server.ScriptFlushAsync();
        Assert.True(await store.AppendTurnAsync(_owner, conversation.Id, user, reply, Token));

        Assert.Equal([first, firstReply, user, reply], (await store.GetAsync(_owner, conversation.Id, Token))!.Messages);
        Assert.True(await NoScriptErrorsAsync() >= refusedBefore + 2, "Redis never answered NOSCRIPT: the test did not reach the path it is about.");
    }

    [Fact]
    public async Task ManyTurnsEndingAtOnceAreWrittenOverTheSharedConnectionWithoutOpeningOthers()
    {
        var store = Store();
        var conversations = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => store.CreateAsync(_owner, $"c{i}", Token)));
        var connectionsBefore = await ConnectionsReceivedAsync();

        var appended = await Task.WhenAll(conversations.Select(c => Task.Run(() => store.AppendTurnAsync(_owner, c.Id, Turn("hi").User, Turn("hi").Reply, Token))));

        Assert.All(appended, Assert.True);
        Assert.Equal(connectionsBefore, await ConnectionsReceivedAsync());
    }

    private IServer Server => _admin.GetServer(_admin.GetEndPoints()[0]);

    private async Task<long> ConnectionsReceivedAsync() => long.Parse(await InfoAsync("stats", "total_connections_received") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>How often Redis answered NOSCRIPT since it started (INFO errorstats: <c>errorstat_NOSCRIPT:count=N</c>).</summary>
    private async Task<long> NoScriptErrorsAsync() =>
        await InfoAsync("errorstats", "errorstat_NOSCRIPT") is { } value ? long.Parse(value["count=".Length..], System.Globalization.CultureInfo.InvariantCulture) : 0;

    private async Task<string?> InfoAsync(string section, string key) =>
        (await Server.InfoAsync(section)).SelectMany(group => group).SingleOrDefault(pair => pair.Key == key).Value;

    [Fact]
    public async Task TheStoreSurvivesANewClientAsItWouldARestart()
    {
        var conversation = await Store().CreateAsync(_owner, "persist", Token);
        var (user, reply) = Turn("remember me");
        await Store().AppendTurnAsync(_owner, conversation.Id, user, reply, Token);

        await using var fresh = TestRedis.Connect(redis.Server.ConnectionString);
        var read = await new RedisConversationStore(fresh, Options.Create(new ConversationOptions()), TimeProvider.System).GetAsync(_owner, conversation.Id, Token);

        Assert.Equal([user, reply], read!.Messages);
    }

    private RedisConversationStore Store(ConversationOptions? options = null, TimeProvider? time = null) =>
        new(_client, Options.Create(options ?? new ConversationOptions()), time ?? TimeProvider.System);

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

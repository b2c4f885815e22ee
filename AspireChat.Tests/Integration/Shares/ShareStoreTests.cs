using System.Text;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Shares;
using AspireChat.Tests.Fakes;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Integration.Redis;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Shares;

/// <summary>The share store's contract, in memory and against a real redis-server.</summary>
public abstract class ShareStoreTests
{
    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    protected static ShareOptions Options { get; } = new() { PerHour = 3, TimeToLive = TimeSpan.FromDays(30) };

    protected AdjustableTime Time { get; } = new(DateTimeOffset.UtcNow);

    protected string Owner { get; } = ConversationIds.New();

    protected abstract IShareStore Store { get; }

    [Fact]
    public async Task AShareIsReadByItsIdListedForItsOwnerAndRevokedOnlyByThem()
    {
        var (shareId, snapshot) = await CreateAsync(Owner, "<b>Title</b>");

        Assert.Equal(snapshot, await Store.GetAsync(shareId, Token));
        var (listedId, listing) = Assert.Single(await Store.ListAsync(Owner, Token));
        Assert.Equal(shareId, listedId);
        Assert.Equal("<b>Title</b>", listing.Title);
        Assert.Empty(await Store.ListAsync(ConversationIds.New(), Token));

        Assert.False(await Store.RevokeAsync(ConversationIds.New(), shareId, Token));
        Assert.NotNull(await Store.GetAsync(shareId, Token));
        Assert.True(await Store.RevokeAsync(Owner, shareId, Token));
        Assert.Null(await Store.GetAsync(shareId, Token));
        Assert.Empty(await Store.ListAsync(Owner, Token));
        Assert.False(await Store.RevokeAsync(Owner, shareId, Token));
    }

    [Fact]
    public async Task AnOwnerMakesAtMostPerHourSharesInAnyHour()
    {
        for (var i = 0; i < Options.PerHour; i++)
        {
            await CreateAsync(Owner, $"s{i}");
            Time.Advance(TimeSpan.FromMinutes(10));
        }

        var refused = await Store.CreateAsync(Owner, ShareIds.New(), Listing("late"), [], Token);
        // The first of the hour leaves the window 30 minutes from now.
        Assert.InRange(refused!.Value, TimeSpan.FromMinutes(29), TimeSpan.FromMinutes(31));
        await CreateAsync(ConversationIds.New(), "another owner is not limited by this one");

        Time.Advance(TimeSpan.FromMinutes(31));
        await CreateAsync(Owner, "once the oldest left the hour");
        Assert.Equal(Options.PerHour + 1, (await Store.ListAsync(Owner, Token)).Count);
    }

    [Fact]
    public async Task TheOwnersListIsNewestFirst()
    {
        var (first, _) = await CreateAsync(Owner, "first");
        Time.Advance(TimeSpan.FromSeconds(1));
        var (second, _) = await CreateAsync(Owner, "second");

        Assert.Equal([second, first], (await Store.ListAsync(Owner, Token)).Select(s => s.ShareId));
    }

    protected async Task<(string ShareId, byte[] Snapshot)> CreateAsync(string owner, string title)
    {
        var shareId = ShareIds.New();
        var snapshot = Encoding.UTF8.GetBytes($$"""{"title":"{{title}}","messages":[]}""");
        Assert.Null(await Store.CreateAsync(owner, shareId, Listing(title), snapshot, Token));
        return (shareId, snapshot);
    }

    protected ShareListing Listing(string title) =>
        new(ConversationIds.New(), title, Time.GetUtcNow(), Time.GetUtcNow() + Options.TimeToLive);
}

public sealed class InMemoryShareStoreTests : ShareStoreTests
{
    private readonly InMemoryShareStore _store;

    public InMemoryShareStoreTests() => _store = new InMemoryShareStore(Microsoft.Extensions.Options.Options.Create(Options), Time);

    protected override IShareStore Store => _store;

    [Fact]
    public async Task AnExpiredShareIsGone()
    {
        var (shareId, _) = await CreateAsync(Owner, "short-lived");

        Time.Advance(Options.TimeToLive);

        Assert.Null(await Store.GetAsync(shareId, Token));
        Assert.Empty(await Store.ListAsync(Owner, Token));
    }
}

/// <summary>On one redis-server (<see cref="SingleNodeRedisShareStoreTests"/>) and on a Redis Cluster (<see cref="ClusterRedisShareStoreTests"/>).</summary>
public abstract class RedisShareStoreTests(SharedRedis redis, RedisTopology topology) : ShareStoreTests, IClassFixture<SharedRedis>, IAsyncLifetime
{
    private string _connectionString = null!;
    private ConnectionMultiplexer _client = null!;

    public async ValueTask InitializeAsync()
    {
        _connectionString = await redis.ConnectionStringAsync(topology);
        _client = TestRedis.Connect(_connectionString);
    }

    protected override IShareStore Store => new RedisShareStore(_client, Microsoft.Extensions.Options.Options.Create(Options), Time);

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ARevokedShareIsGoneAtOnceForEveryReplica()
    {
        var (shareId, snapshot) = await CreateAsync(Owner, "two replicas");
        await using var otherReplica = TestRedis.Connect(_connectionString);
        var other = new RedisShareStore(otherReplica, Microsoft.Extensions.Options.Options.Create(Options), Time);
        Assert.Equal(snapshot, await other.GetAsync(shareId, Token));

        Assert.True(await Store.RevokeAsync(Owner, shareId, Token));

        Assert.Null(await other.GetAsync(shareId, Token));
    }

    [Fact]
    public async Task TheShareIsOneKeyWithTheTimeToLiveAndTheOwnersKeysAreTaggedWithTheOwner()
    {
        var (shareId, snapshot) = await CreateAsync(Owner, "keys");
        var database = _client.GetDatabase();

        Assert.Equal(snapshot, (byte[]?)await database.StringGetAsync($"aspirechat:share:{{{shareId}}}"));
        Assert.InRange((await database.KeyTimeToLiveAsync($"aspirechat:share:{{{shareId}}}"))!.Value, Options.TimeToLive - TimeSpan.FromMinutes(1), Options.TimeToLive);
        Assert.True(await database.HashExistsAsync($"aspirechat:owner:{{{Owner}}}:shares", shareId));
        Assert.True(await database.KeyExistsAsync($"aspirechat:owner:{{{Owner}}}:shares:created"));
    }

    [Fact]
    public async Task AnExpiredShareOrOneLostBetweenItsTwoWritesIsGoneAndLeavesTheList()
    {
        var (expired, _) = await CreateAsync(Owner, "expires");
        var (orphan, _) = await CreateAsync(Owner, "crash");
        var (kept, _) = await CreateAsync(Owner, "kept");
        var database = _client.GetDatabase();

        // Redis expires the first; a crash between the owner's record and the snapshot leaves the second without one.
        await database.KeyExpireAsync($"aspirechat:share:{{{expired}}}", TimeSpan.FromMilliseconds(1));
        await database.KeyDeleteAsync($"aspirechat:share:{{{orphan}}}");
        await Task.Delay(20, Token);

        Assert.Null(await Store.GetAsync(expired, Token));
        Assert.Equal([kept], (await Store.ListAsync(Owner, Token)).Select(s => s.ShareId));
        Assert.Equal(1, await database.HashLengthAsync($"aspirechat:owner:{{{Owner}}}:shares"));
    }
}

[Trait("Redis", nameof(RedisTopology.SingleNode))]
public sealed class SingleNodeRedisShareStoreTests(SharedRedis redis) : RedisShareStoreTests(redis, RedisTopology.SingleNode);

/// <summary>Shares touch no conversation key: the owner's two keys share the tag <c>{ownerId}</c>, and a share's key is its own.</summary>
[Trait("Redis", nameof(RedisTopology.Cluster))]
public sealed class ClusterRedisShareStoreTests(SharedRedis redis) : RedisShareStoreTests(redis, RedisTopology.Cluster);

using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Redis;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Replies.Redis;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>The conversation lease in Redis, shared by every instance.</summary>
public sealed class RedisConversationLeasesTests(SharedRedis redis) : IClassFixture<SharedRedis>, IAsyncLifetime
{
    private ConnectionMultiplexer _redis = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AHeldConversationIsBusyOnEveryInstanceUntilReleased()
    {
        var (store, first, second) = (Store(), Leases(), Leases());
        var conversation = await store.CreateAsync("alice", "t", Token);

        var held = await first.TakeAsync(new LeaseRequest("alice", conversation.Id, "m1", IsNewConversation: false), Token);
        var elsewhere = await second.TakeAsync(new LeaseRequest("alice", conversation.Id, "m2", IsNewConversation: false), Token);
        await held.Lease!.ReleaseAsync();
        var afterRelease = await second.TakeAsync(new LeaseRequest("alice", conversation.Id, "m3", IsNewConversation: false), Token);

        Assert.Equal((LeaseOutcome.Taken, LeaseOutcome.Busy, LeaseOutcome.Taken), (held.Outcome, elsewhere.Outcome, afterRelease.Outcome));
        Assert.Equal("m3", await _redis.GetDatabase().StringGetAsync(RedisKeys.LatestReply(conversation.Id)));
        await afterRelease.Lease!.ReleaseAsync();
    }

    [Fact]
    public async Task AnotherOwnersConversationIsNotFoundBusyOrNotAndNothingIsWritten()
    {
        var (store, leases) = (Store(), Leases());
        var conversation = await store.CreateAsync("alice", "t", Token);
        var database = _redis.GetDatabase();

        var idle = await leases.TakeAsync(new LeaseRequest("bob", conversation.Id, "m1", IsNewConversation: false), Token);
        var missing = await leases.TakeAsync(new LeaseRequest("bob", ConversationIds.New(), "m2", IsNewConversation: false), Token);
        var alices = await leases.TakeAsync(new LeaseRequest("alice", conversation.Id, "m3", IsNewConversation: false), Token);
        var whileBusy = await leases.TakeAsync(new LeaseRequest("bob", conversation.Id, "m4", IsNewConversation: false), Token);

        Assert.Equal((LeaseOutcome.NotFound, LeaseOutcome.NotFound, LeaseOutcome.NotFound), (idle.Outcome, missing.Outcome, whileBusy.Outcome));
        Assert.Equal("m3", await database.StringGetAsync(RedisKeys.ConversationLease(conversation.Id)));
        Assert.Equal("m3", await database.StringGetAsync(RedisKeys.LatestReply(conversation.Id)));
        await alices.Lease!.ReleaseAsync();
    }

    [Fact]
    public async Task ANewConversationIsTakenBeforeItExists()
    {
        var taken = await Leases().TakeAsync(new LeaseRequest("alice", ConversationIds.New(), "m1", IsNewConversation: true), Token);

        Assert.Equal(LeaseOutcome.Taken, taken.Outcome);
        await taken.Lease!.ReleaseAsync();
    }

    [Fact]
    public async Task AHeldLeaseIsRenewedAndTakenBackWhenRedisLostIt()
    {
        var leases = Leases(lease: TimeSpan.FromMilliseconds(1500));
        var conversationId = ConversationIds.New();
        var key = RedisKeys.ConversationLease(conversationId);
        var held = await leases.TakeAsync(new LeaseRequest("alice", conversationId, "m1", IsNewConversation: true), Token);

        // Three lease times: without renewals the key would have lapsed twice over.
        await Task.Delay(TimeSpan.FromMilliseconds(4500), Token);
        var renewed = await _redis.GetDatabase().StringGetAsync(key);
        await _redis.GetDatabase().KeyDeleteAsync(key);
        await Task.Delay(TimeSpan.FromMilliseconds(1500), Token);
        var takenBack = await _redis.GetDatabase().StringGetAsync(key);
        await held.Lease!.ReleaseAsync();

        Assert.Equal(("m1", "m1"), ((string?)renewed, (string?)takenBack));
        Assert.False(await _redis.GetDatabase().KeyExistsAsync(key));
    }

    public async ValueTask InitializeAsync() => _redis = TestRedis.Connect(await redis.ConnectionStringAsync(RedisTopology.SingleNode));

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private RedisConversationStore Store() => new(_redis, Options.Create(new ConversationOptions()), TimeProvider.System);

    private RedisConversationLeases Leases(TimeSpan? lease = null)
    {
        var options = Options.Create(new ReplyOptions { Lease = lease ?? new ReplyOptions().Lease });
        var finalizer = new RedisReplyFinalizer(_redis, Store(), new RedisConversationChannels(_redis, options), options, TimeProvider.System, NullLogger<RedisReplyFinalizer>.Instance);
        return new RedisConversationLeases(_redis, new ReplyWriteConnection(_redis.GetDatabase()), Store(), finalizer, options, TimeProvider.System, NullLogger<RedisConversationLeases>.Instance);
    }
}

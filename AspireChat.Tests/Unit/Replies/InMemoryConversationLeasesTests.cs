using AspireChat.ChatApi.Replies;

namespace AspireChat.Tests.Unit.Replies;

public sealed class InMemoryConversationLeasesTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AHeldConversationIsBusyForItsOwnerAndNotFoundForAnyoneElseUntilReleased()
    {
        var leases = new InMemoryConversationLeases();
        var held = await leases.TakeAsync(new LeaseRequest("alice", "c1", "m1", IsNewConversation: false), Token);

        var again = await leases.TakeAsync(new LeaseRequest("alice", "c1", "m2", IsNewConversation: false), Token);
        var stranger = await leases.TakeAsync(new LeaseRequest("bob", "c1", "m3", IsNewConversation: false), Token);
        var holder = leases.Holder("c1");
        await held.Lease!.ReleaseAsync();
        var afterRelease = await leases.TakeAsync(new LeaseRequest("alice", "c1", "m4", IsNewConversation: false), Token);

        Assert.Equal(LeaseOutcome.Taken, held.Outcome);
        Assert.Equal((LeaseOutcome.Busy, LeaseOutcome.NotFound), (again.Outcome, stranger.Outcome));
        Assert.Equal("m1", holder);
        Assert.Equal(LeaseOutcome.Taken, afterRelease.Outcome);
        Assert.Equal("m4", leases.Holder("c1"));
    }

    [Fact]
    public async Task ReleasingALeaseTwiceDoesNotFreeTheNextHolder()
    {
        var leases = new InMemoryConversationLeases();
        var first = (await leases.TakeAsync(new LeaseRequest("alice", "c1", "m1", IsNewConversation: false), Token)).Lease!;
        await first.ReleaseAsync();
        await leases.TakeAsync(new LeaseRequest("alice", "c1", "m2", IsNewConversation: false), Token);

        await first.ReleaseAsync();

        Assert.Equal("m2", leases.Holder("c1"));
    }
}

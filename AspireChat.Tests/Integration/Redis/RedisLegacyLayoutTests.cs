using System.Text.Json;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using AspireChat.ChatApi.Replies;
using AspireChat.Tests.Fakes;
using AspireChat.Tests.Fixtures;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// A Redis as the release before hash-tagged keys left it, made by that release's own ChatApi
/// (<c>Snapshots/make-layout-snapshot.sh</c>: commit fbaacbb, one owner, a conversation of two turns, and one whose
/// second reply was cut by killing its instance mid-stream), loaded key by key (DUMP/RESTORE) into this test's Redis, a
/// node or a cluster. Touching a conversation moves it to today's keys, its unfinished reply saved as interrupted.
/// </summary>
public sealed class RedisLegacyLayoutTests(SharedRedis redis) : LayoutSnapshotTests(redis, "fbaacbb")
{
    [Theory, RedisTopologies]
    public async Task TheOldLayoutIsMovedOnFirstTouchWithEveryMessageAndTheCutReplySavedAsInterrupted(RedisTopology topology)
    {
        var snapshot = await LoadAsync(topology);
        var database = Client.GetDatabase();
        var oldItems = (await database.ListRangeAsync(RedisKeys.Legacy.Messages(snapshot.Finished))).Select(v => (byte[])v!).ToList();
        var cut = (await database.StreamRangeAsync(RedisKeys.Legacy.ReplyStream(snapshot.InterruptedReply))).Select(e => (string)e["frame"]!).ToList();
        var store = Store(Client);

        var listed = await store.ListAsync(snapshot.Owner, Token);

        Assert.Equal(new[] { snapshot.Finished, snapshot.Interrupted }.Order(StringComparer.Ordinal), listed.Select(c => c.Id).Order(StringComparer.Ordinal));
        var finished = (await store.GetAsync(snapshot.Owner, snapshot.Finished, Token))!;
        Assert.Equal([MessageRoles.User, MessageRoles.Assistant, MessageRoles.User, MessageRoles.Assistant], finished.Messages.Select(m => m.Role));
        Assert.Equal(["Hello", "And then?"], finished.Messages.Where(m => m.Role == MessageRoles.User).Select(m => m.Content));
        Assert.Equal(finished.Messages[^1].Id, finished.ActiveLeafId);
        // The old elements were copied byte for byte, in their order.
        Assert.Equal(oldItems, await LayoutSnapshot.StoredInOrderAsync(database, snapshot.Finished));

        var interrupted = (await store.GetAsync(snapshot.Owner, snapshot.Interrupted, Token))!;
        Assert.Equal(["Count to ten", "Tell me a long story"], interrupted.Messages.Where(m => m.Role == MessageRoles.User).Select(m => m.Content));
        var reply = interrupted.Messages[^1];
        Assert.Equal((snapshot.InterruptedReply, FinishReasons.Interrupted, interrupted.Messages[^2].Id), (reply.Id, reply.FinishReason, reply.ParentId));
        var streamed = string.Concat(cut.Select(f => ChunkText(f)));
        Assert.False(string.IsNullOrEmpty(streamed), "The snapshot's cut reply should hold some text.");
        Assert.Equal(streamed, reply.Content);
        Assert.Equal(snapshot.InterruptedReply, interrupted.ActiveLeafId);

        // Nothing of the old layout is left but reply streams, which expire on their own (Replies:Retention).
        foreach (var key in snapshot.Keys.Where(k => !k.StartsWith("aspirechat:reply:", StringComparison.Ordinal)))
        {
            Assert.False(await database.KeyExistsAsync(key), $"{key} outlived the move.");
        }

        // Moved conversations go on as any other: a new turn, the listing, a time to live on every key.
        var now = DateTimeOffset.UtcNow;
        Assert.True(await store.AppendTurnAsync(snapshot.Owner, snapshot.Finished, new("u-new", MessageRoles.User, "More?", now, ParentId: finished.ActiveLeafId), new("a-new", MessageRoles.Assistant, "More.", now, "stop"), Token));
        Assert.Equal(snapshot.Finished, (await store.ListAsync(snapshot.Owner, Token))[0].Id);
        foreach (var key in new RedisKey[] { RedisKeys.Conversation(snapshot.Finished), RedisKeys.MessagesById(snapshot.Finished), RedisKeys.MessageOrder(snapshot.Finished), RedisKeys.OwnerConversations(snapshot.Owner) })
        {
            Assert.NotNull(await database.KeyTimeToLiveAsync(key));
        }
    }

    [Theory, RedisTopologies]
    public async Task TwoInstancesTouchingAnOldConversationAtOnceMoveItOnce(RedisTopology topology)
    {
        var snapshot = await LoadAsync(topology);
        var other = await ConnectAsync(topology);

        var read = await Task.WhenAll(
            Task.Run(() => Store(Client).GetAsync(snapshot.Owner, snapshot.Interrupted, Token), Token),
            Task.Run(() => Store(other).GetAsync(snapshot.Owner, snapshot.Interrupted, Token), Token));

        Assert.All(read, conversation => Assert.Equal(4, conversation!.Messages.Count));
        Assert.Equal(4, (await LayoutSnapshot.StoredInOrderAsync(Client.GetDatabase(), snapshot.Interrupted)).Count);
        Assert.Single(read[0]!.Messages, m => m.Id == snapshot.InterruptedReply);
    }

    [Theory, RedisTopologies]
    public async Task AMessageToAnOldConversationTakesItsLeaseAndContinuesIt(RedisTopology topology)
    {
        var snapshot = await LoadAsync(topology);
        var store = Store(Client);
        await using var chat = new ChatHarness(store, redis: Client);

        // The lease is taken before anything reads the conversation: it finds it under the old keys.
        var claim = await chat.Leases.TakeAsync(new LeaseRequest(snapshot.Owner, snapshot.Finished, "m-next", IsNewConversation: false), Token);
        Assert.Equal(LeaseOutcome.Taken, claim.Outcome);
        await claim.Lease!.ReleaseAsync();

        chat.Model.Say("Still here.");
        chat.Model.End();
        var (_, observer) = chat.Send("Are you there?", snapshot.Finished, owner: snapshot.Owner);
        Assert.Equal(FinishReasons.Stop, Assert.IsType<EndFrame>((await observer.UntilEndAsync())[^1]).FinishReason);
        var grown = (await store.GetAsync(snapshot.Owner, snapshot.Finished, Token))!;
        Assert.Equal(["Hello", "And then?", "Are you there?"], grown.Messages.Where(m => m.Role == MessageRoles.User).Select(m => m.Content));
        // Another owner does not get it, old layout or new.
        Assert.Equal(LeaseOutcome.NotFound, (await chat.Leases.TakeAsync(new LeaseRequest("someone-else", snapshot.Interrupted, "m-x", IsNewConversation: false), Token)).Outcome);
    }

    private static string ChunkText(string frameJson) =>
        JsonSerializer.Deserialize<JsonElement>(frameJson) is { } frame && frame.GetProperty("type").GetString() == "chunk" ? frame.GetProperty("content").GetString()! : "";
}

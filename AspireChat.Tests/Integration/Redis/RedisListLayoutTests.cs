using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Feedback;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fakes;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.AI;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// A Redis as the release before messages by id left it, made by that release's own ChatApi
/// (<c>Snapshots/make-layout-snapshot.sh 021e57e</c>: hash-tagged keys, each conversation's tree in one list), loaded
/// into this test's Redis, a node or a cluster. The first touch converts a conversation to the messages by id; it then
/// goes on as any other.
/// </summary>
public sealed class RedisListLayoutTests(SharedRedis redis) : LayoutSnapshotTests(redis, "021e57e")
{
    [Theory, RedisTopologies]
    public async Task AConversationInTheMessageListIsReadContinuedBranchedRatedAndDeletedAfterTheUpgrade(RedisTopology topology)
    {
        var snapshot = await LoadAsync(topology);
        var database = Client.GetDatabase();
        var list = RedisKeys.ListLayout.Messages(snapshot.Finished);
        var oldItems = (await database.ListRangeAsync(list)).Select(v => (byte[])v!).ToList();
        var store = Store(Client);

        // Listed with its count, and not converted by a listing.
        Assert.Equal(4, (await store.ListAsync(snapshot.Owner, Token)).Single(c => c.Id == snapshot.Finished).MessageCount);
        Assert.True(await database.KeyExistsAsync(list));

        // Read as a turn reads it: converted, every element byte for byte and in its order.
        var path = (await store.GetPathAsync(snapshot.Owner, snapshot.Finished, null, 24_000, null, Token))!;
        Assert.Equal(["Hello", "And then?"], path.Messages.Where(m => m.Role == MessageRoles.User).Select(m => m.Content));
        Assert.Equal(4, path.Messages.Count);
        Assert.Equal(path.Messages[^1].Id, path.ActiveLeafId);
        Assert.False(await database.KeyExistsAsync(list), "The list should be gone once converted.");
        Assert.Equal(oldItems, await LayoutSnapshot.StoredInOrderAsync(database, snapshot.Finished));

        // Continued.
        await using var chat = new ChatHarness(store, redis: Client);
        chat.Model.Say("Still here.");
        chat.Model.End();
        Assert.Equal(FinishReasons.Stop, Assert.IsType<EndFrame>((await chat.Send("Are you there?", snapshot.Finished, owner: snapshot.Owner).Observer.UntilEndAsync())[^1]).FinishReason);

        // Branched: an edit of its first message is a second root, and its prompt holds nothing of the first branch.
        chat.Model.Say("Hi again.");
        chat.Model.End();
        var edited = await chat.Branch(TurnKind.Edit, snapshot.Finished, path.Messages[0].Id, "Hello there", owner: snapshot.Owner).Observer.UntilEndAsync();
        Assert.Equal(FinishReasons.Stop, Assert.IsType<EndFrame>(edited[^1]).FinishReason);
        Assert.Equal(["Hello there"], chat.Model.Calls[^1].Where(m => m.Role != ChatRole.System).Select(m => m.Text));
        var grown = (await store.GetAsync(snapshot.Owner, snapshot.Finished, Token))!;
        var tree = new ConversationTree(grown.Messages);
        Assert.Equal(["Hello", "Hello there"], tree.Children(null).Select(m => m.Content));
        var continued = tree.PathTo(tree.NewestLeafUnder(tree.Children(null)[0].Id));
        Assert.Equal(["Hello", "And then?", "Are you there?"], continued.Where(m => m.Role == MessageRoles.User).Select(m => m.Content));
        Assert.Equal("Still here.", continued[^1].Content);
        Assert.Equal(["Hello there", "Hi again."], tree.PathTo(grown.ActiveLeafId).Select(m => m.Content));

        // Rated.
        var rating = await new RedisFeedbackStore(Client).SetAsync(snapshot.Owner, snapshot.Finished, path.Messages[1].Id, new MessageFeedback(FeedbackRatings.Up, "old but good", DateTimeOffset.UtcNow), Token);
        Assert.Equal(FeedbackOutcome.Saved, rating.Outcome);
        Assert.Equal("old but good", (await store.GetAsync(snapshot.Owner, snapshot.Finished, Token))!.Messages.Single(m => m.Id == path.Messages[1].Id).Feedback!.Comment);

        // Deleted, every key of it.
        Assert.True(await store.DeleteAsync(snapshot.Owner, snapshot.Finished, Token));
        Assert.Equal(0, await database.KeyExistsAsync([.. RedisKeys.ConversationKeys(snapshot.Finished).Select(key => (RedisKey)key)]));
        Assert.DoesNotContain(snapshot.Finished, (await store.ListAsync(snapshot.Owner, Token)).Select(c => c.Id));
    }

    [Theory, RedisTopologies]
    public async Task AReplyCutInTheListLayoutIsSavedAsInterruptedByTheNextMessage(RedisTopology topology)
    {
        var snapshot = await LoadAsync(topology);
        var store = Store(Client);
        await using var chat = new ChatHarness(store, redis: Client);

        chat.Model.Say("Onwards.");
        chat.Model.End();
        var frames = await chat.Send("And now?", snapshot.Interrupted, owner: snapshot.Owner).Observer.UntilEndAsync();

        Assert.Equal(FinishReasons.Stop, Assert.IsType<EndFrame>(frames[^1]).FinishReason);
        var conversation = (await store.GetAsync(snapshot.Owner, snapshot.Interrupted, Token))!;
        Assert.Equal(["Count to ten", "Tell me a long story", "And now?"], conversation.Messages.Where(m => m.Role == MessageRoles.User).Select(m => m.Content));
        var cut = conversation.Messages.Single(m => m.Id == snapshot.InterruptedReply);
        Assert.Equal(FinishReasons.Interrupted, cut.FinishReason);
        Assert.False(string.IsNullOrEmpty(cut.Content), "The cut reply should keep what was streamed.");
        Assert.False(await Client.GetDatabase().KeyExistsAsync(RedisKeys.ListLayout.Messages(snapshot.Interrupted)));
    }

    [Theory, RedisTopologies]
    public async Task TwoInstancesConvertingAtOnceWriteItOnce(RedisTopology topology)
    {
        var snapshot = await LoadAsync(topology);
        var database = Client.GetDatabase();
        var oldItems = (await database.ListRangeAsync(RedisKeys.ListLayout.Messages(snapshot.Finished))).Select(v => (byte[])v!).ToList();
        var other = await ConnectAsync(topology);
        var hooked = FailOnceRedis.Wrap(Client);
        // Another instance converts the list between this one's read of it and its conversion script.
        hooked.BeforeNext(IsConversion, () => RedisConversationStore.ConvertListLayoutAsync(other.GetDatabase(), snapshot.Finished, Token).GetAwaiter().GetResult());

        var path = (await Store(hooked.Multiplexer).GetPathAsync(snapshot.Owner, snapshot.Finished, null, 24_000, null, Token))!;

        Assert.Equal(4, path.Messages.Count);
        Assert.Equal(oldItems, await LayoutSnapshot.StoredInOrderAsync(database, snapshot.Finished));
        Assert.Equal(4, await database.HashLengthAsync(RedisKeys.MessagesById(snapshot.Finished)));
        Assert.Equal(4, (long)await database.HashGetAsync(RedisKeys.Conversation(snapshot.Finished), RedisKeys.ConversationFields.Seq));

        // And two instances reading the other conversation at once, as they would.
        var read = await Task.WhenAll(
            Task.Run(() => Store(Client).GetAsync(snapshot.Owner, snapshot.Interrupted, Token), Token),
            Task.Run(() => Store(other).GetAsync(snapshot.Owner, snapshot.Interrupted, Token), Token));
        Assert.All(read, conversation => Assert.Equal(2, conversation!.Messages.Count));
        Assert.Equal(2, (await LayoutSnapshot.StoredInOrderAsync(database, snapshot.Interrupted)).Count);
    }

    [Theory, RedisTopologies]
    public async Task ATurnAnOldInstanceAppendsToTheListWhileItIsConvertedIsNotLost(RedisTopology topology)
    {
        var snapshot = await LoadAsync(topology);
        var database = Client.GetDatabase();
        var list = RedisKeys.ListLayout.Messages(snapshot.Finished);
        var leaf = (string)(await database.HashGetAsync(RedisKeys.Conversation(snapshot.Finished), RedisKeys.ConversationFields.Leaf))!;
        RedisValue[] late =
        [
            $$"""{"id":"u-late","role":"user","content":"Late","createdAt":"2026-12-01T10:00:00+00:00","parentId":"{{leaf}}"}""",
            """{"id":"a-late","role":"assistant","content":"Still counted.","createdAt":"2026-12-01T10:00:01+00:00","finishReason":"stop","parentId":"u-late"}""",
        ];
        var hooked = FailOnceRedis.Wrap(Client);
        // An instance of the release before appends a turn between this one's read of the list and its conversion.
        hooked.BeforeNext(IsConversion, () => Client.GetDatabase().ListRightPush(list, late));

        var conversation = (await Store(hooked.Multiplexer).GetAsync(snapshot.Owner, snapshot.Finished, Token))!;

        Assert.Equal(6, conversation.Messages.Count);
        Assert.Equal(["u-late", "a-late"], conversation.Messages.TakeLast(2).Select(m => m.Id));
        Assert.Equal(late.Select(v => (byte[])v!), (await LayoutSnapshot.StoredInOrderAsync(database, snapshot.Finished)).TakeLast(2));
        Assert.False(await database.KeyExistsAsync(list));
    }

    /// <summary>The conversion script's call (its parameters are a record named Convert).</summary>
    private static bool IsConversion(System.Reflection.MethodInfo method, object?[] arguments) =>
        method.Name == nameof(IDatabase.ScriptEvaluateAsync) && arguments is [LuaScript, { } parameters, ..] && parameters.GetType().Name == "Convert";
}

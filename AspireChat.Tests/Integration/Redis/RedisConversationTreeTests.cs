using System.Text.Json;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>The tree in Redis: parents, the active leaf, conversations written before trees, concurrent branches, rename, export.</summary>
public sealed class RedisConversationTreeTests(SharedRedis redis) : IClassFixture<SharedRedis>, IAsyncDisposable
{
    private readonly string _owner = ConversationIds.New();
    // The store's multiplexer, on the test's Redis (UseAsync).
    private ConnectionMultiplexer? _client;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
    }

    private async Task UseAsync(RedisTopology topology) => _client = TestRedis.Connect(await redis.ConnectionStringAsync(topology));

    [Theory, RedisTopologies]
    public async Task AConversationListWrittenBeforeTreesIsConvertedToOneBranchOnFirstTouchAndGrows(RedisTopology topology)
    {
        await UseAsync(topology);
        // The message list of a release before trees, byte for byte: no parentId, no leaf, a lastTurn field.
        var id = ConversationIds.New();
        var db = _client!.GetDatabase();
        string[] old =
        [
            """{"id":"u1","role":"user","content":"Hello","createdAt":"2026-01-01T10:00:00+00:00"}""",
            """{"id":"a1","role":"assistant","content":"Hi!","createdAt":"2026-01-01T10:00:01+00:00","finishReason":"stop","usage":{"inputTokens":3,"outputTokens":2,"totalTokens":5}}""",
            """{"id":"u2","role":"user","content":"And then?","createdAt":"2026-01-01T10:01:00+00:00"}""",
            """{"id":"a2","role":"assistant","content":"Then this.","createdAt":"2026-01-01T10:01:01+00:00","finishReason":"stop"}""",
        ];
        await db.HashSetAsync(RedisKeys.Conversation(id), [new("owner", _owner), new("title", "Old"), new("createdAt", "2026-01-01T10:00:00.0000000+00:00"), new("updatedAt", "2026-01-01T10:01:01.0000000+00:00"), new("lastTurn", "u2 a2")]);
        await db.ListRightPushAsync(RedisKeys.ListLayout.Messages(id), [.. old.Select(j => (RedisValue)j)]);
        await db.SortedSetAddAsync(RedisKeys.OwnerConversations(_owner), id, 1);
        var store = Store();

        var read = (await store.GetAsync(_owner, id, Token))!;

        Assert.Equal(["u1", "a1", "u2", "a2"], read.Messages.Select(m => m.Id));
        Assert.Equal([null, "u1", "a1", "u2"], read.Messages.Select(m => m.ParentId));
        Assert.Equal("a2", read.ActiveLeafId);
        Assert.Equal(new TokenUsage(3, 2, 5), read.Messages[1].Usage);

        // A regenerate of the first reply, then a message after it: the new branch is the active one.
        var now = DateTimeOffset.UtcNow;
        Assert.True(await store.AppendTurnAsync(_owner, id, read.Messages[0], new ConversationMessage("a1b", MessageRoles.Assistant, "Hello again!", now, "stop"), Token));
        Assert.True(await store.AppendTurnAsync(_owner, id, new ConversationMessage("u3", MessageRoles.User, "More", now, ParentId: "a1b"), new ConversationMessage("a3", MessageRoles.Assistant, "More text", now, "stop"), Token));
        var grown = (await store.GetAsync(_owner, id, Token))!;
        var tree = new ConversationTree(grown.Messages);
        Assert.Equal(["u1", "a1b", "u3", "a3"], tree.PathTo(grown.ActiveLeafId).Select(m => m.Id));
        Assert.Equal(["a1", "a1b"], tree.Children("u1").Select(m => m.Id));
        Assert.Equal(["u1", "a1", "u2", "a2"], tree.PathTo("a2").Select(m => m.Id));
        // Converted on the first read: the list is gone, and each old message names the parent its place gave it.
        Assert.False(await db.KeyExistsAsync(RedisKeys.ListLayout.Messages(id)));
        Assert.Equal(["u1", "a1", "u2", "a2", "a1b", "u3", "a3"], (await db.SortedSetRangeByRankAsync(RedisKeys.MessageOrder(id))).Select(v => (string)v!));
        Assert.Contains("\"parentId\":\"a1\"", (string)(await db.HashGetAsync(RedisKeys.MessagesById(id), "u2"))!, StringComparison.Ordinal);
        var path = (await store.GetPathAsync(_owner, id, "a2", int.MaxValue, "u1", Token))!;
        Assert.Equal(["u1", "a1", "u2", "a2"], path.Messages.Select(m => m.Id));
        Assert.True(path.IdTaken);
    }

    [Theory, RedisTopologies]
    public async Task RootsAndParentsRoundTripAndTheActiveLeafMovesOnlyToAMessageOfTheOwnersConversation(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "t", Token);
        var now = DateTimeOffset.UtcNow;
        await store.AppendTurnAsync(_owner, conversation.Id, new("u1", MessageRoles.User, "one", now), new("a1", MessageRoles.Assistant, "r1", now), Token);
        // An edit of the first message: a second root.
        await store.AppendTurnAsync(_owner, conversation.Id, new("u1b", MessageRoles.User, "one, edited", now), new("a1b", MessageRoles.Assistant, "r1b", now), Token);

        var read = (await store.GetAsync(_owner, conversation.Id, Token))!;
        Assert.Equal([null, "u1", null, "u1b"], read.Messages.Select(m => m.ParentId));
        Assert.Equal("a1b", read.ActiveLeafId);

        Assert.True(await store.SetActiveLeafAsync(_owner, conversation.Id, "a1", Token));
        Assert.False(await store.SetActiveLeafAsync(_owner, conversation.Id, "nope", Token));
        Assert.False(await store.SetActiveLeafAsync(ConversationIds.New(), conversation.Id, "a1b", Token));
        Assert.Equal("a1", (await store.GetAsync(_owner, conversation.Id, Token))!.ActiveLeafId);
    }

    [Theory, RedisTopologies]
    public async Task TwoEditsOfTheSameMessageWrittenAtOnceAreBothKept(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "t", Token);
        var now = DateTimeOffset.UtcNow;
        await store.AppendTurnAsync(_owner, conversation.Id, new("u1", MessageRoles.User, "draft", now), new("a1", MessageRoles.Assistant, "r", now), Token);
        var edits = Enumerable.Range(0, 20).Select(i => (
            User: new ConversationMessage($"e{i}", MessageRoles.User, $"edit {i}", now),
            Reply: new ConversationMessage($"r{i}", MessageRoles.Assistant, $"reply {i}", now))).ToList();

        var written = await Task.WhenAll(edits.Select(e => Task.Run(() => store.AppendTurnAsync(_owner, conversation.Id, e.User, e.Reply, Token))));

        Assert.All(written, Assert.True);
        var tree = new ConversationTree((await store.GetAsync(_owner, conversation.Id, Token))!.Messages);
        Assert.Equal(21, tree.Children(null).Count);
        Assert.All(edits, e => Assert.Equal([e.Reply.Id], tree.Children(e.User.Id).Select(m => m.Id)));
    }

    [Theory, RedisTopologies]
    public async Task ARenameIsStoredAndAnotherOwnerCannotRename(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "Before", Token);

        Assert.False(await store.RenameAsync(ConversationIds.New(), conversation.Id, "Stolen", Token));
        Assert.True(await store.RenameAsync(_owner, conversation.Id, "<b>After</b>", Token));

        Assert.Equal("<b>After</b>", (await store.GetAsync(_owner, conversation.Id, Token))!.Title);
        Assert.Equal("<b>After</b>", Assert.Single(await store.ListAsync(_owner, Token)).Title);
        Assert.False(await store.RenameAsync(_owner, ConversationIds.New(), "Nothing", Token));
    }

    [Theory, RedisTopologies]
    public async Task AConversationOf200MessagesWith20BranchesLoadsInOneReadAndExportsCompletelyAndCorrectly(RedisTopology topology)
    {
        await UseAsync(topology);
        var store = Store();
        var conversation = await store.CreateAsync(_owner, "Big", Token);
        var expected = await BuildTwoHundredMessagesWithTwentyBranchesAsync(store, conversation.Id);

        var read = (await store.GetAsync(_owner, conversation.Id, Token))!;
        var tree = new ConversationTree(read.Messages);
        var leaves = read.Messages.Where(m => tree.Children(m.Id).Count == 0).ToList();
        Assert.Equal(200, read.Messages.Count);
        Assert.Equal(20, leaves.Count);

        var all = ConversationExport.From(read, allBranches: true);
        var json = JsonNode.Parse(JsonSerializer.Serialize(all, AspireChat.ChatApi.Protocol.ProtocolJsonContext.Default.ConversationExport))!;
        var exported = json["messages"]!.AsArray();
        Assert.Equal(200, exported.Count);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), exported.Select(m => KeyValuePair.Create((string)m!["id"]!, ((string?)m["parentId"], (string)m["content"]!))).OrderBy(e => e.Key, StringComparer.Ordinal));
        // Depth first: every message comes after its parent.
        var seen = new HashSet<string>();
        Assert.All(exported, m => { Assert.True((string?)m!["parentId"] is null || seen.Contains((string)m["parentId"]!)); seen.Add((string)m["id"]!); });

        var active = ConversationExport.From(read, allBranches: false);
        Assert.Equal(tree.PathTo(read.ActiveLeafId).Select(m => m.Id), active.Messages.Select(m => m.Id));
        Assert.Equal(180, active.Messages.Count);

        var markdown = all.ToMarkdown();
        Assert.StartsWith("# Big", markdown, StringComparison.Ordinal);
        Assert.All(read.Messages, m => Assert.Contains(m.Content, markdown, StringComparison.Ordinal));
        Assert.Equal(200, markdown.Split('\n').Count(l => l.StartsWith("## ", StringComparison.Ordinal)));
        Assert.Equal(19, markdown.Split('\n').Count(l => l.Contains("alternative 2 of 2", StringComparison.Ordinal)));
    }

    /// <summary>90 turns on one branch, 18 regenerated replies and one edited message: 200 messages, 20 leaves. Returns id → (parent, content).</summary>
    internal static async Task<Dictionary<string, (string? Parent, string Content)>> BuildTwoHundredMessagesWithTwentyBranchesAsync(IConversationStore store, string conversationId, string? ownerId = null)
    {
        Dictionary<string, (string?, string)> expected = [];
        var owner = ownerId ?? throw new ArgumentNullException(nameof(ownerId));
        var now = DateTimeOffset.UtcNow;
        string? parent = null;
        List<ConversationMessage> users = [];
        for (var i = 0; i < 90; i++)
        {
            var user = new ConversationMessage($"u{i}", MessageRoles.User, $"Question {i}: `code` and *markdown*", now, ParentId: parent);
            var reply = new ConversationMessage($"a{i}", MessageRoles.Assistant, $"Answer {i}\n\n```js\nlet x = {i};\n```", now, "stop");
            Assert.True(await store.AppendTurnAsync(owner, conversationId, user, reply, CancellationToken.None));
            expected[user.Id] = (parent, user.Content);
            expected[reply.Id] = (user.Id, reply.Content);
            users.Add(user);
            parent = reply.Id;
        }

        for (var i = 0; i < 18; i++)
        {
            var asked = users[i * 5];
            var again = new ConversationMessage($"a{i * 5}-again", MessageRoles.Assistant, $"Another answer to {i * 5}", now, "stop");
            Assert.True(await store.AppendTurnAsync(owner, conversationId, asked, again, CancellationToken.None));
            expected[again.Id] = (asked.Id, again.Content);
        }

        var edited = new ConversationMessage("u89-edit", MessageRoles.User, "Question 89, edited", now, ParentId: "a88");
        var editedReply = new ConversationMessage("a89-edit", MessageRoles.Assistant, "Answer to the edit", now, "stop");
        Assert.True(await store.AppendTurnAsync(owner, conversationId, edited, editedReply, CancellationToken.None));
        expected[edited.Id] = ("a88", edited.Content);
        expected[editedReply.Id] = (edited.Id, editedReply.Content);
        // Back to the main branch's last reply.
        Assert.True(await store.SetActiveLeafAsync(owner, conversationId, "a89", CancellationToken.None));
        return expected;
    }

    private Task<Dictionary<string, (string? Parent, string Content)>> BuildTwoHundredMessagesWithTwentyBranchesAsync(RedisConversationStore store, string conversationId) =>
        BuildTwoHundredMessagesWithTwentyBranchesAsync(store, conversationId, _owner);

    private RedisConversationStore Store() => new(_client!, Options.Create(new ConversationOptions()), TimeProvider.System);
}

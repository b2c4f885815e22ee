using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fakes;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>
/// A turn reads one branch, not the tree (<see cref="IConversationStore.GetPathAsync"/>): the walk up the parents in
/// Redis' script, as far as the history budget reaches, the same as the in-memory store's, and the turns placed on it.
/// </summary>
public sealed class RedisTurnPathTests(SharedRedis redis) : IClassFixture<SharedRedis>, IAsyncDisposable
{
    private readonly string _owner = ConversationIds.New();
    private ConnectionMultiplexer? _client;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
    }

    [Theory, RedisTopologies]
    public async Task ThePathIsWalkedWithinTheBudgetInUtf16CharactersAsInMemory(RedisTopology topology)
    {
        var store = await StoreAsync(topology);
        var memory = new InMemoryConversationStore(Options.Create(new ConversationOptions()), TimeProvider.System);
        // Characters of one, two and three UTF-8 bytes, and one of two UTF-16 units (an emoji): what C# counts is what the script must.
        string[] texts = ["plain ascii", "caf\u00e9 cr\u00e8me", "\u4e2d\u6587\u5b57", "smile \ud83d\ude00\ud83d\ude00", "", "x", "quotes \" and \\ escapes\n"];
        var id = (await store.CreateAsync(_owner, "walk", Token)).Id;
        var inMemory = (await memory.CreateAsync(_owner, id, "walk", Token)).Id;
        string? parent = null;
        List<string> ids = [];
        for (var i = 0; i < 14; i++)
        {
            // A client's id may hold what JSON escapes: the walk must still find it as a parent.
            var user = new ConversationMessage(i == 6 ? "u6 \"quoted\" \\ +\u00e9" : $"u{i}", MessageRoles.User, texts[i % texts.Length], DateTimeOffset.UtcNow, ParentId: parent);
            var reply = new ConversationMessage($"a{i}", MessageRoles.Assistant, texts[(i + 3) % texts.Length], DateTimeOffset.UtcNow, "stop");
            Assert.True(await store.AppendTurnAsync(_owner, id, user, reply, Token));
            Assert.True(await memory.AppendTurnAsync(_owner, inMemory, user, reply, Token));
            parent = reply.Id;
            ids.AddRange([user.Id, reply.Id]);
        }

        var full = new ConversationTree((await store.GetAsync(_owner, id, Token))!.Messages);
        foreach (var from in new[] { null, "a13", "u9", "a4", "u0" })
        {
            foreach (var budget in new[] { 0, 1, 5, 11, 12, 13, 20, 33, 60, 1_000 })
            {
                var path = (await store.GetPathAsync(_owner, id, from, budget, null, Token))!;
                var expected = (await memory.GetPathAsync(_owner, inMemory, from, budget, null, Token))!;

                Assert.Equal(expected.Messages, path.Messages);
                // The walk's rule, against the whole branch: a suffix, its first two kept whatever their length, the rest within the budget, and not one more.
                var branch = full.PathTo(from ?? "a13");
                Assert.Equal(branch.TakeLast(path.Messages.Count), path.Messages);
                Assert.True(path.Messages.Count >= Math.Min(2, branch.Count), $"From {from}, budget {budget}: the message and its parent are always kept.");
                var counted = path.Messages.SkipLast(2).Sum(m => m.Content.Length);
                Assert.True(counted <= budget, $"From {from}, budget {budget}: {counted} characters read.");
                if (path.Messages.Count < branch.Count)
                {
                    Assert.True(counted + branch[^(path.Messages.Count + 1)].Content.Length > budget, $"From {from}, budget {budget}: the walk stopped early.");
                }
            }
        }
    }

    [Theory, RedisTopologies]
    public async Task ThePathNamesTheConversationItsActiveLeafAndWhetherAnIdIsTakenAndNothingOfAnotherOwner(RedisTopology topology)
    {
        var store = await StoreAsync(topology);
        var created = await store.CreateAsync(_owner, "meta", Token);
        var empty = (await store.GetPathAsync(_owner, created.Id, null, 100, "u1", Token))!;
        Assert.Equal((created.Id, "meta", created.CreatedAt, null, false), (empty.Id, empty.Title, empty.CreatedAt, empty.ActiveLeafId, empty.IdTaken));
        Assert.Empty(empty.Messages);
        var now = DateTimeOffset.UtcNow;
        await store.AppendTurnAsync(_owner, created.Id, new("u1", MessageRoles.User, "one", now), new("a1", MessageRoles.Assistant, "r1", now), Token);
        await store.AppendTurnAsync(_owner, created.Id, new("u2", MessageRoles.User, "two", now, ParentId: "a1"), new("a2", MessageRoles.Assistant, "r2", now), Token);
        Assert.True(await store.SetActiveLeafAsync(_owner, created.Id, "a1", Token));

        var path = (await store.GetPathAsync(_owner, created.Id, null, 100, "a2", Token))!;

        Assert.Equal("a1", path.ActiveLeafId);
        Assert.Equal(["u1", "a1"], path.Messages.Select(m => m.Id));
        Assert.True(path.IdTaken);
        Assert.False((await store.GetPathAsync(_owner, created.Id, null, 100, "not-taken", Token))!.IdTaken);
        Assert.Empty((await store.GetPathAsync(_owner, created.Id, "no-such-message", 100, null, Token))!.Messages);
        Assert.Null(await store.GetPathAsync(ConversationIds.New(), created.Id, "a2", 100, "u1", Token));
        Assert.Null(await store.GetPathAsync(_owner, ConversationIds.New(), null, 100, null, Token));
    }

    [Theory, RedisTopologies]
    public async Task TrimmingAtMaxMessagesKeepsThePathConsistentAndAPathStopsAtATrimmedParent(RedisTopology topology)
    {
        var store = await StoreAsync(topology, new ConversationOptions { MaxMessages = 5 });
        var id = (await store.CreateAsync(_owner, "trim", Token)).Id;
        var now = DateTimeOffset.UtcNow;
        string? parent = null;
        for (var i = 1; i <= 4; i++)
        {
            await store.AppendTurnAsync(_owner, id, new($"u{i}", MessageRoles.User, $"q{i}", now, ParentId: parent), new($"a{i}", MessageRoles.Assistant, $"r{i}", now), Token);
            parent = $"a{i}";
        }

        var database = _client!.GetDatabase();
        Assert.Equal(["a2", "u3", "a3", "u4", "a4"], (await database.SortedSetRangeByRankAsync(RedisKeys.MessageOrder(id))).Select(v => (string)v!));
        Assert.Equal(5, await database.HashLengthAsync(RedisKeys.MessagesById(id)));
        Assert.Equal(["a2", "u3", "a3", "u4", "a4"], (await store.GetPathAsync(_owner, id, null, 1_000, null, Token))!.Messages.Select(m => m.Id));
        // a2's user message is gone: the path stops there, and the reply cannot be regenerated (nothing to answer again).
        Assert.Equal(["a2"], (await store.GetPathAsync(_owner, id, "a2", 1_000, null, Token))!.Messages.Select(m => m.Id));
        Assert.Empty((await store.GetPathAsync(_owner, id, "u1", 1_000, "u1", Token))!.Messages);
        Assert.False((await store.GetPathAsync(_owner, id, null, 1_000, "u1", Token))!.IdTaken);

        await using var chat = new ChatHarness(store, redis: _client);
        var refused = await chat.Branch(TurnKind.Regenerate, id, "a2", owner: _owner).Observer.UntilEndAsync();
        Assert.Equal(ErrorCodes.InvalidTarget, Assert.IsType<ErrorFrame>(Assert.Single(refused)).Code);
        chat.Model.Say("r5");
        chat.Model.End();
        await chat.Send("q5", id, owner: _owner).Observer.UntilEndAsync();
        // Every path of what is kept reads as the whole tree reads it.
        var conversation = (await store.GetAsync(_owner, id, Token))!;
        var tree = new ConversationTree(conversation.Messages);
        Assert.Equal(5, conversation.Messages.Count);
        foreach (var message in conversation.Messages)
        {
            Assert.Equal(tree.PathTo(message.Id), (await store.GetPathAsync(_owner, id, message.Id, int.MaxValue, null, Token))!.Messages);
        }
    }

    [Theory, RedisTopologies]
    public async Task TurnsPlacedOnThePathRegenerateEditAndRefuseATakenIdAnUnknownTargetAndAnotherOwner(RedisTopology topology)
    {
        var store = await StoreAsync(topology);
        await using var chat = new ChatHarness(store, redis: _client);
        chat.Model.Say("Four.");
        chat.Model.End();
        var first = Assert.IsType<StartFrame>((await chat.Send("What is 2+2?", owner: _owner, id: "u-first").Observer.UntilEndAsync())[0]);
        var id = first.ConversationId;
        chat.Model.Say("Six.");
        chat.Model.End();
        await chat.Send("And 3+3?", id, owner: _owner, id: "u-second").Observer.UntilEndAsync();

        // A client id taken by a message of the conversation: invalid_frame, nothing written.
        var taken = await chat.Send("Again", id, owner: _owner, id: "u-first").Observer.UntilEndAsync();
        Assert.Equal(ErrorCodes.InvalidFrame, Assert.IsType<ErrorFrame>(Assert.Single(taken)).Code);
        // Unknown targets, and another owner's conversation: not_found.
        Assert.Equal(ErrorCodes.NotFound, Assert.IsType<ErrorFrame>(Assert.Single(await chat.Branch(TurnKind.Regenerate, id, "no-such", owner: _owner).Observer.UntilEndAsync())).Code);
        Assert.Equal(ErrorCodes.NotFound, Assert.IsType<ErrorFrame>(Assert.Single(await chat.Branch(TurnKind.Edit, id, "no-such", "x", owner: _owner).Observer.UntilEndAsync())).Code);
        Assert.Equal(ErrorCodes.NotFound, Assert.IsType<ErrorFrame>(Assert.Single(await chat.Branch(TurnKind.Edit, id, "u-second", "x", owner: "owner-b").Observer.UntilEndAsync())).Code);
        Assert.Equal(4, (await store.GetAsync(_owner, id, Token))!.Messages.Count);

        // A regenerate of the stored user message: a sibling reply, the prompt the branch above it and the message.
        chat.Model.Say("Six, again.");
        chat.Model.End();
        var regenerated = Assert.IsType<StartFrame>((await chat.Branch(TurnKind.Regenerate, id, "u-second", owner: _owner).Observer.UntilEndAsync())[0]);
        Assert.Equal("u-second", regenerated.ParentId);
        Assert.Equal(["What is 2+2?", "Four.", "And 3+3?"], chat.Model.Calls[^1].Where(m => m.Role != ChatRole.System).Select(m => m.Text));

        // An edit of it: a sibling user message under the same parent, its prompt the branch above.
        chat.Model.Say("Eight.");
        chat.Model.End();
        var edited = Assert.IsType<StartFrame>((await chat.Branch(TurnKind.Edit, id, "u-second", "And 4+4?", owner: _owner, id: "u-edit").Observer.UntilEndAsync())[0]);
        Assert.Equal(["What is 2+2?", "Four.", "And 4+4?"], chat.Model.Calls[^1].Where(m => m.Role != ChatRole.System).Select(m => m.Text));
        var tree = new ConversationTree((await store.GetAsync(_owner, id, Token))!.Messages);
        Assert.Equal(["u-second", "u-edit"], tree.Children(first.MessageId).Select(m => m.Id));
        Assert.Equal(["Six.", "Six, again."], tree.Children("u-second").Select(m => m.Content));
        Assert.Equal(["u-first", first.MessageId, "u-edit", edited.MessageId], tree.PathTo(edited.MessageId).Select(m => m.Id));
    }

    private async Task<RedisConversationStore> StoreAsync(RedisTopology topology, ConversationOptions? options = null)
    {
        _client = TestRedis.Connect(await redis.ConnectionStringAsync(topology));
        return new RedisConversationStore(_client, Options.Create(options ?? new ConversationOptions()), TimeProvider.System);
    }
}

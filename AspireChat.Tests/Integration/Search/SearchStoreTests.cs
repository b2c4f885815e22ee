using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Redis;
using AspireChat.ChatApi.Search;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Integration.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Search;

/// <summary>
/// Search over a store and its index, as ChatApi wires them (<see cref="IndexingConversationStore"/>,
/// <see cref="ConversationSearch"/>): the same tests in memory and against a real redis-server.
/// </summary>
public abstract class SearchStoreTests
{
    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    protected string Owner { get; } = ConversationIds.New();

    /// <summary>The store underneath the indexing one (what an older release wrote through).</summary>
    protected abstract IConversationStore Inner { get; }

    protected abstract ISearchIndex Index { get; }

    protected virtual SearchOptions Options { get; } = new();

    protected IndexingConversationStore Store => new(Inner, Index, TimeProvider.System, NullLogger<IndexingConversationStore>.Instance);

    protected ConversationSearch Search => new(Store, Index, Microsoft.Extensions.Options.Options.Create(Options), NullLogger<ConversationSearch>.Instance);

    [Fact]
    public async Task AWordIsFoundInTitlesAndEveryBranchOnlyForItsOwnerNewestFirst()
    {
        var older = await ConversationAsync("Trip notes", "Where do flamingos live?", "Flamingos live in lagoons.");
        await ConversationAsync("Other", "Nothing to see", "Indeed.");
        var newer = await ConversationAsync("Flamingo facts", "Why are they pink?", "Their food.");
        var edit = new ConversationMessage("edit-1", MessageRoles.User, "What do flamingos eat?", DateTimeOffset.UtcNow);
        await Store.AppendTurnAsync(Owner, older, edit, new ConversationMessage("edit-1-reply", MessageRoles.Assistant, "Shrimp.", DateTimeOffset.UtcNow), Token);

        var found = await FindAsync("FLAMINGOS");
        var prefixed = await FindAsync("flaming");

        // The older conversation was written last (the edit), so it comes first; its newest message first.
        Assert.Equal([(older, "edit-1"), (older, null), (older, null)], found.Select(r => (r.ConversationId, r.MessageId == "edit-1" ? "edit-1" : null)));
        Assert.Equal(["user", "assistant", "user"], found.Select(r => r.Role));
        Assert.Contains(prefixed, r => r.ConversationId == newer && r.Role == SearchRoles.Title);
        Assert.Empty((await new ConversationSearch(Store, Index, Microsoft.Extensions.Options.Options.Create(Options), NullLogger<ConversationSearch>.Instance)
            .SearchAsync(ConversationIds.New(), Query("flamingos"), Token)).Results);
    }

    [Fact]
    public async Task TextTrimmedByMaxMessagesIsNeverFoundAgain()
    {
        var id = await ConversationAsync("Long one", "the word quetzal here", "a reply");
        for (var i = 0; i < 3; i++)
        {
            await TurnAsync(id, $"turn {i}", "ok");
        }

        // MaxMessages is 6 for these tests: the first turn has been trimmed.
        Assert.Empty(await FindAsync("quetzal"));
        Assert.Single(await FindAsync("turn 2"));
    }

    [Fact]
    public async Task ADeletedConversationIsNeverFoundAgainAndLeavesTheIndex()
    {
        var id = await ConversationAsync("Tapirs", "tapir snout", "It is a proboscis.");

        Assert.True(await Store.DeleteAsync(Owner, id, Token));

        Assert.Empty(await FindAsync("tapir"));
        Assert.Empty(await FindAsync("proboscis"));
        Assert.Equal(SearchCandidates.None.Total, (await Index.FindAsync(Owner, Query("proboscis"), 10, Token)).Total);
    }

    [Fact]
    public async Task AWordInSeveralConversationsLeavesTheIndexWithTheLastOfThem()
    {
        var first = await ConversationAsync("Ibis one", "sacred ibis", "ok");
        var second = await ConversationAsync("Ibis two", "ibis nests", "ok");
        var third = await ConversationAsync("Ibis three", "ibis flight", "ok");

        Assert.True(await Store.DeleteAsync(Owner, second, Token));

        // By the word and by a prefix of it, the two left are candidates; only the deleted one has gone.
        Assert.Equal([first, third], await CandidatesAsync("ibis "));
        Assert.Equal([first, third], await CandidatesAsync("ib"));
        Assert.Equal([first], await CandidatesAsync("ibis sacred "));

        Assert.True(await Store.DeleteAsync(Owner, first, Token));
        Assert.True(await Store.DeleteAsync(Owner, third, Token));

        Assert.Empty(await CandidatesAsync("ibis "));
        Assert.Empty(await CandidatesAsync("ib"));
    }

    [Fact]
    public async Task WordsIndexedForTextThatWasNeverStoredAreNotFound()
    {
        var id = await ConversationAsync("Real", "real text", "stored");

        // A crash between indexing a turn and writing it: the index holds words the store lacks.
        await Index.AddAsync(Owner, id, SearchText.DistinctWords("phantom words"), DateTimeOffset.UtcNow, Token);

        Assert.Empty(await FindAsync("phantom"));
    }

    [Fact]
    public async Task AConversationWrittenBeforeTheIndexKnewItIsIndexedWholeByItsNextTurn()
    {
        var created = await Inner.CreateAsync(Owner, "Before search existed", Token);
        var user = new ConversationMessage(ConversationIds.New(), MessageRoles.User, "an old okapi question", DateTimeOffset.UtcNow);
        await Inner.AppendTurnAsync(Owner, created.Id, user, new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, "an old answer", DateTimeOffset.UtcNow), Token);
        Assert.Empty(await FindAsync("okapi"));

        await TurnAsync(created.Id, "a new question", "a new answer");

        Assert.Single(await FindAsync("okapi"));
        Assert.Single(await FindAsync("existed"));
    }

    [Fact]
    public async Task ARenameIsFound()
    {
        var id = await ConversationAsync("Untitled", "hello", "hi");

        Assert.True(await Store.RenameAsync(Owner, id, "Wombat burrows", Token));

        var title = Assert.Single(await FindAsync("wombat"));
        Assert.Equal(SearchRoles.Title, title.Role);
        Assert.Null(title.MessageId);
    }

    [Fact]
    public async Task APrefixOfManyWordsIsStillMatchedExactlyAsConversationsAreRead()
    {
        // More words begin with "ka" than MaxPrefixWords (3 here): the index narrows by nothing, the reading matches.
        await ConversationAsync("k", "kangaroo kakapo kayak kale kazoo", "ok");
        var other = await ConversationAsync("l", "llama", "ok");

        var found = await FindAsync("ka");

        Assert.NotEmpty(found);
        Assert.DoesNotContain(found, r => r.ConversationId == other);
    }

    [Fact]
    public async Task AtMostMaxConversationsScannedAreReadAndTheAnswerSaysSo()
    {
        // The two words are in every conversation, never in one message: each is a candidate, none matches.
        for (var i = 0; i < 5; i++)
        {
            await ConversationAsync($"c{i}", "salt only", "pepper only");
        }

        var response = await Search.SearchAsync(Owner, Query("salt pepper "), Token);

        Assert.Empty(response.Results);
        Assert.True(response.Truncated);
    }

    [Fact]
    public async Task ResultsAreCappedInAllAndPerConversation()
    {
        await ConversationAsync("Echo two", "echo again", "echo back");
        var id = await ConversationAsync("Echo", "echo 0", "echo reply 0");
        for (var i = 1; i < 3; i++)
        {
            await TurnAsync(id, $"echo {i}", $"echo reply {i}");
        }

        var response = await Search.SearchAsync(Owner, Query("echo "), Token);

        Assert.Equal(Options.MaxResults, response.Results.Count);
        Assert.Equal(Options.MaxResultsPerConversation, response.Results.Count(r => r.ConversationId == id));
        Assert.False(response.Truncated);
    }

    protected static SearchQuery Query(string text)
    {
        Assert.True(SearchQuery.TryParse(text, out var query, out var error), error);
        return query;
    }

    /// <summary>The conversations the index alone offers for <paramref name="text"/>, in no order.</summary>
    protected async Task<HashSet<string>> CandidatesAsync(string text) => [.. (await Index.FindAsync(Owner, Query(text), 10, Token)).ConversationIds];

    protected async Task<IReadOnlyList<SearchResult>> FindAsync(string text) => (await Search.SearchAsync(Owner, Query(text), Token)).Results;

    /// <summary>A conversation of one turn, written as the chat node writes it; its id.</summary>
    protected async Task<string> ConversationAsync(string title, string question, string answer)
    {
        var created = await Store.CreateAsync(Owner, title, Token);
        await TurnAsync(created.Id, question, answer);
        return created.Id;
    }

    protected async Task TurnAsync(string conversationId, string question, string answer)
    {
        var leaf = (await Store.GetAsync(Owner, conversationId, Token))!.ActiveLeafId;
        var user = new ConversationMessage(ConversationIds.New(), MessageRoles.User, question, DateTimeOffset.UtcNow, ParentId: leaf);
        Assert.True(await Store.AppendTurnAsync(Owner, conversationId, user, new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, answer, DateTimeOffset.UtcNow), Token));
    }

    internal static ConversationOptions StoreOptions { get; } = new() { MaxMessages = 6 };

    internal static SearchOptions SmallLimits { get; } = new() { MaxResults = 4, MaxResultsPerConversation = 3, MaxConversationsScanned = 3, MaxPrefixWords = 3 };
}

public sealed class InMemorySearchStoreTests : SearchStoreTests
{
    private readonly InMemoryConversationStore _inner = new(Microsoft.Extensions.Options.Options.Create(StoreOptions), TimeProvider.System);
    private readonly InMemorySearchIndex _index = new(Microsoft.Extensions.Options.Options.Create(SmallLimits));

    protected override IConversationStore Inner => _inner;

    protected override ISearchIndex Index => _index;

    protected override SearchOptions Options => SmallLimits;
}

/// <summary>
/// On one redis-server (<see cref="SingleNodeRedisSearchStoreTests"/>) and on a Redis Cluster
/// (<see cref="ClusterRedisSearchStoreTests"/>): the index's keys share the owner's tag, the conversations' keys theirs,
/// and no step writes both in one command. A class per topology, as <see cref="Shares.RedisShareStoreTests"/>: the
/// tests are <see cref="SearchStoreTests"/>' own, which the in-memory store runs too, so they take no topology argument.
/// </summary>
public abstract class RedisSearchStoreTests(SharedRedis redis, RedisTopology topology) : SearchStoreTests, IClassFixture<SharedRedis>, IAsyncLifetime
{
    private ConnectionMultiplexer _client = null!;

    public async ValueTask InitializeAsync() => _client = TestRedis.Connect(await redis.ConnectionStringAsync(topology));

    protected override IConversationStore Inner => new RedisConversationStore(_client, Microsoft.Extensions.Options.Options.Create(StoreOptions), TimeProvider.System);

    protected override ISearchIndex Index => new RedisSearchIndex(_client, Microsoft.Extensions.Options.Options.Create(SmallLimits), Microsoft.Extensions.Options.Options.Create(StoreOptions));

    protected override SearchOptions Options => SmallLimits;

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task AnExpiredConversationIsNeverFoundAgainAndTheIndexForgetsIt()
    {
        var id = await ConversationAsync("Dodos", "dodo bird", "extinct");

        // What Redis does when the conversation's time to live runs out.
        await _client.GetDatabase().KeyDeleteAsync([.. RedisKeys.ConversationKeys(id).Select(key => (RedisKey)key)]);

        Assert.Empty(await FindAsync("dodo"));
        Assert.False(await _client.GetDatabase().HashExistsAsync($"aspirechat:owner:{{{Owner}}}:search:conversations", $"c:{id}"));
    }

    [Fact]
    public async Task EveryKeyOfTheIndexIsTaggedWithItsOwnerAndLivesAsLongAsTheConversations()
    {
        await ConversationAsync("Tagged", "hash tag test", "ok");
        // The node that holds the owner's slot: the only one on a cluster, where a SCAN sees one node's keys.
        var server = _client.GetServer(_client.GetDatabase().IdentifyEndpoint(RedisKeys.SearchPostings(Owner))!);

        var keys = await server.KeysAsync(pattern: $"*{Owner}*").Select(k => (string)k!).ToListAsync(Token);

        var search = keys.Where(k => k.Contains(":search:", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, search.Count);
        Assert.All(search, k => Assert.StartsWith($"aspirechat:owner:{{{Owner}}}:search:", k, StringComparison.Ordinal));
        foreach (var key in search)
        {
            var ttl = await _client.GetDatabase().KeyTimeToLiveAsync(key);
            Assert.InRange(ttl!.Value, StoreOptions.TimeToLive - TimeSpan.FromMinutes(1), StoreOptions.TimeToLive);
        }
    }

    [Theory]
    [InlineData("redis.call('FLUSHALL')")]
    [InlineData("]] .. redis.call('DEL', KEYS[1]) .. [[")]
    [InlineData("%d+ .* [^\n]+ \\255")]
    [InlineData("@title:{x} | -y")]
    public async Task QueriesThatLookLikeScriptsOrPatternsAreWordsToRedisToo(string text)
    {
        var id = await ConversationAsync("Safe", $"exactly {text}", "ok");

        var found = await FindAsync(text);

        Assert.Contains(found, r => r.ConversationId == id);
        Assert.NotNull(await Store.GetAsync(Owner, id, Token));
    }
}

[Trait("Redis", nameof(RedisTopology.SingleNode))]
public sealed class SingleNodeRedisSearchStoreTests(SharedRedis redis) : RedisSearchStoreTests(redis, RedisTopology.SingleNode);

[Trait("Redis", nameof(RedisTopology.Cluster))]
public sealed class ClusterRedisSearchStoreTests(SharedRedis redis) : RedisSearchStoreTests(redis, RedisTopology.Cluster);

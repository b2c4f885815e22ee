using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Feedback;
using AspireChat.ChatApi.Redis;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Integration.Redis;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Feedback;

/// <summary>Ratings stored in their replies: the same tests in memory and against a real redis-server.</summary>
public abstract class FeedbackStoreTests
{
    protected static CancellationToken Token => TestContext.Current.CancellationToken;

    protected string Owner { get; } = ConversationIds.New();

    protected abstract IConversationStore Conversations { get; }

    protected abstract IFeedbackStore Feedback { get; }

    [Fact]
    public async Task ARatingIsStoredInTheReplyAndEverythingElseOfItStaysAsItWas()
    {
        var (id, user, reply) = await TurnAsync("An answer that quotes ,\"feedback\":{\"rating\":\"up\"} and } braces");
        var rating = new MessageFeedback(FeedbackRatings.Down, "<script>alert(1)</script> \"quoted\" }", DateTimeOffset.UtcNow);

        var result = await Feedback.SetAsync(Owner, id, reply.Id, rating, Token);

        Assert.Equal(FeedbackOutcome.Saved, result.Outcome);
        Assert.Equal(reply.TraceId, result.Message!.TraceId);
        var stored = (await Conversations.GetAsync(Owner, id, Token))!.Messages;
        Assert.Equal([user, reply with { Feedback = rating }], stored);

        Assert.Equal(FeedbackOutcome.Saved, (await Feedback.SetAsync(Owner, id, reply.Id, rating with { Rating = FeedbackRatings.Up, Comment = null }, Token)).Outcome);
        Assert.Equal(FeedbackRatings.Up, (await Conversations.GetAsync(Owner, id, Token))!.Messages[1].Feedback!.Rating);
        Assert.Equal(FeedbackOutcome.Saved, (await Feedback.SetAsync(Owner, id, reply.Id, null, Token)).Outcome);
        Assert.Equal([user, reply], (await Conversations.GetAsync(Owner, id, Token))!.Messages);
    }

    [Fact]
    public async Task OnlyTheOwnersRepliesAreRated()
    {
        var (id, user, reply) = await TurnAsync("An answer");
        var rating = new MessageFeedback(FeedbackRatings.Down, null, DateTimeOffset.UtcNow);

        Assert.Equal(FeedbackOutcome.NotAssistant, (await Feedback.SetAsync(Owner, id, user.Id, rating, Token)).Outcome);
        Assert.Equal(FeedbackOutcome.NotFound, (await Feedback.SetAsync(ConversationIds.New(), id, reply.Id, rating, Token)).Outcome);
        Assert.Equal(FeedbackOutcome.NotFound, (await Feedback.SetAsync(Owner, id, "no-such-message", rating, Token)).Outcome);
        Assert.Equal(FeedbackOutcome.NotFound, (await Feedback.SetAsync(Owner, ConversationIds.New(), reply.Id, rating, Token)).Outcome);
        Assert.Equal([user, reply], (await Conversations.GetAsync(Owner, id, Token))!.Messages);
    }

    [Fact]
    public async Task RatingsAndTurnsAtOnceLoseNothing()
    {
        var (id, _, _) = await TurnAsync("first");
        var replies = new List<ConversationMessage>();
        for (var i = 0; i < 10; i++)
        {
            replies.Add(await AppendAsync(id, $"turn {i}"));
        }

        var rating = replies.Select(r => Task.Run(() => Feedback.SetAsync(Owner, id, r.Id, new MessageFeedback(FeedbackRatings.Up, r.Id, DateTimeOffset.UtcNow), Token))).ToList();
        var appending = Enumerable.Range(0, 10).Select(i => Task.Run(() => AppendAsync(id, $"racing {i}"))).ToList();
        await Task.WhenAll(appending);

        Assert.All(await Task.WhenAll(rating), r => Assert.Equal(FeedbackOutcome.Saved, r.Outcome));

        var messages = (await Conversations.GetAsync(Owner, id, Token))!.Messages;
        Assert.Equal(2 + 20 + 20, messages.Count);
        Assert.All(replies, r => Assert.Equal(r.Id, messages.Single(m => m.Id == r.Id).Feedback?.Comment));
    }

    protected async Task<(string Id, ConversationMessage User, ConversationMessage Reply)> TurnAsync(string answer)
    {
        var created = await Conversations.CreateAsync(Owner, "Rated", Token);
        var user = new ConversationMessage(ConversationIds.New(), MessageRoles.User, "A question", DateTimeOffset.UtcNow);
        var reply = new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, answer, DateTimeOffset.UtcNow, "stop", new TokenUsage(1, 2, 3), user.Id,
            "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "00f067aa0ba902b7", "gpt-4o-mini");
        Assert.True(await Conversations.AppendTurnAsync(Owner, created.Id, user, reply, Token));
        return (created.Id, user, reply);
    }

    private async Task<ConversationMessage> AppendAsync(string id, string text)
    {
        var user = new ConversationMessage(ConversationIds.New(), MessageRoles.User, text, DateTimeOffset.UtcNow);
        var reply = new ConversationMessage(ConversationIds.New(), MessageRoles.Assistant, "reply to " + text, DateTimeOffset.UtcNow, ParentId: user.Id);
        Assert.True(await Conversations.AppendTurnAsync(Owner, id, user, reply, Token));
        return reply;
    }
}

public sealed class InMemoryFeedbackStoreTests : FeedbackStoreTests
{
    private readonly InMemoryConversationStore _conversations = new(Microsoft.Extensions.Options.Options.Create(new ConversationOptions()), TimeProvider.System);

    protected override IConversationStore Conversations => _conversations;

    protected override IFeedbackStore Feedback => new InMemoryFeedbackStore(_conversations);
}

/// <summary>On one redis-server (<see cref="SingleNodeRedisFeedbackStoreTests"/>) and on a Redis Cluster (<see cref="ClusterRedisFeedbackStoreTests"/>).</summary>
public abstract class RedisFeedbackStoreTests(SharedRedis redis, RedisTopology topology) : FeedbackStoreTests, IClassFixture<SharedRedis>, IAsyncLifetime
{
    private ConnectionMultiplexer _client = null!;

    public async ValueTask InitializeAsync() => _client = TestRedis.Connect(await redis.ConnectionStringAsync(topology));

    protected override IConversationStore Conversations => new RedisConversationStore(_client, Microsoft.Extensions.Options.Options.Create(new ConversationOptions()), TimeProvider.System);

    protected override IFeedbackStore Feedback => new RedisFeedbackStore(_client);

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task TheStoredMessageChangesOnlyByItsRating()
    {
        var (id, _, reply) = await TurnAsync("Unchanged, byte for byte: \u00e9\u00e8 \ud83d\ude00 \\ \" </script>");
        var key = RedisKeys.MessagesById(id);
        var before = (byte[])(await _client.GetDatabase().HashGetAsync(key, reply.Id))!;

        await Feedback.SetAsync(Owner, id, reply.Id, new MessageFeedback(FeedbackRatings.Down, "why", DateTimeOffset.UtcNow), Token);
        var rated = (string)(await _client.GetDatabase().HashGetAsync(key, reply.Id))!;
        await Feedback.SetAsync(Owner, id, reply.Id, null, Token);
        var after = (byte[])(await _client.GetDatabase().HashGetAsync(key, reply.Id))!;

        Assert.Equal(before, after);
        Assert.EndsWith(",\"feedback\":{\"rating\":\"down\",\"comment\":\"why\",", rated[..(rated.IndexOf("\"updatedAt\"", StringComparison.Ordinal))], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReplyInTheMessageListOfAReleaseBeforeTreesIsConvertedAndRated()
    {
        var created = await Conversations.CreateAsync(Owner, "Old", Token);
        // The list of a release before trees and trace ids: no parentId, no telemetry fields.
        await _client.GetDatabase().ListRightPushAsync(RedisKeys.ListLayout.Messages(created.Id), [
            """{"id":"old-user","role":"user","content":"Hi","createdAt":"2025-01-01T00:00:00+00:00"}""",
            """{"id":"old-reply","role":"assistant","content":"Hello","createdAt":"2025-01-01T00:00:01+00:00","finishReason":"stop"}""",
        ]);

        var result = await Feedback.SetAsync(Owner, created.Id, "old-reply", new MessageFeedback(FeedbackRatings.Up, null, DateTimeOffset.UtcNow), Token);

        Assert.Equal(FeedbackOutcome.Saved, result.Outcome);
        Assert.Null(result.Message!.TraceId);
        Assert.Equal("old-user", result.Message.ParentId);
        Assert.False(await _client.GetDatabase().KeyExistsAsync(RedisKeys.ListLayout.Messages(created.Id)), "The list should have been converted.");
        var messages = (await Conversations.GetAsync(Owner, created.Id, Token))!.Messages;
        Assert.Equal(FeedbackRatings.Up, messages[1].Feedback!.Rating);
        Assert.Equal("old-user", messages[1].ParentId);
    }
}

[Trait("Redis", nameof(RedisTopology.SingleNode))]
public sealed class SingleNodeRedisFeedbackStoreTests(SharedRedis redis) : RedisFeedbackStoreTests(redis, RedisTopology.SingleNode);

/// <summary>A rating touches only its conversation's keys, all under the tag <c>{conversationId}</c>.</summary>
[Trait("Redis", nameof(RedisTopology.Cluster))]
public sealed class ClusterRedisFeedbackStoreTests(SharedRedis redis) : RedisFeedbackStoreTests(redis, RedisTopology.Cluster);

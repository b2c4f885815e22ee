using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Feedback;
using AspireChat.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AspireChat.Tests.Integration.Feedback;

/// <summary>Ratings of replies through ChatApi's HTTP API and WebSocket, with the in-memory store (Redis: RedisFeedbackStoreTests).</summary>
public sealed class FeedbackApiTests : IAsyncDisposable
{
    private const string Comment = "<script>alert('comment')</script> the capital is wrong";

    private readonly EventCapture _logs = new();
    private readonly ChatApiFactory _factory;

    public FeedbackApiTests() =>
        _factory = new ChatApiFactory(services: services => services.AddSingleton<ILoggerProvider>(_logs));

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task ARatingIsStoredInTheReplyShownByGetAndTheExportAndRemovedByDelete()
    {
        var (client, _, conversationId, _, replyId) = await TurnAsync();

        using var rated = await client.PutAsJsonAsync(FeedbackPath(conversationId, replyId), new { rating = "down", comment = "  " + Comment + "\n" }, Token);

        Assert.Equal(HttpStatusCode.OK, rated.StatusCode);
        var answer = (await rated.Content.ReadFromJsonAsync<JsonObject>(Token))!;
        Assert.Equal("down", (string?)answer["rating"]);
        Assert.Equal(Comment, (string?)answer["comment"]);
        var stored = (await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{conversationId}", Token))!["messages"]![1]!["feedback"]!;
        Assert.Equal("down", (string?)stored["rating"]);
        Assert.Equal(Comment, (string?)stored["comment"]);
        var export = (await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{conversationId}/export?format=json", Token))!;
        Assert.Equal(Comment, (string?)export["messages"]![1]!["feedback"]!["comment"]);

        // Changed, then removed.
        (await client.PutAsJsonAsync(FeedbackPath(conversationId, replyId), new { rating = "up" }, Token)).EnsureSuccessStatusCode();
        Assert.Null((await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{conversationId}", Token))!["messages"]![1]!["feedback"]!["comment"]);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(FeedbackPath(conversationId, replyId), Token)).StatusCode);
        Assert.Null((await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{conversationId}", Token))!["messages"]![1]!["feedback"]);
    }

    [Fact]
    public async Task RatingAUserMessageIs400InvalidTarget()
    {
        var (client, _, conversationId, userId, _) = await TurnAsync();

        using var response = await client.PutAsJsonAsync(FeedbackPath(conversationId, userId), new { rating = "down" }, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_target", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>(Token))!["title"]);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.DeleteAsync(FeedbackPath(conversationId, userId), Token)).StatusCode);
        Assert.Null((await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{conversationId}", Token))!["messages"]![0]!["feedback"]);
    }

    [Theory]
    [InlineData("""{"rating":"meh"}""", "rating")]
    [InlineData("""{"rating":"UP"}""", "rating")]
    [InlineData("""{"rating":""}""", "rating")]
    [InlineData("""{"comment":"no rating"}""", "rating")]
    [InlineData("""{"rating":5}""", "body")]
    [InlineData("""{"rating":["down"]}""", "body")]
    [InlineData("""["down"]""", "body")]
    [InlineData("""down""", "body")]
    [InlineData("""{"rating":"down","comment":42}""", "body")]
    public async Task ARatingOtherThanUpOrDownIs400(string body, string field)
    {
        var (client, _, conversationId, _, replyId) = await TurnAsync();

        using var response = await client.PutAsync(FeedbackPath(conversationId, replyId), new StringContent(body, Encoding.UTF8, "application/json"), Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Token))!;
        Assert.Equal("invalid_feedback", (string?)problem["title"]);
        Assert.NotNull(problem["errors"]![field]);
        Assert.Null((await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{conversationId}", Token))!["messages"]![1]!["feedback"]);
    }

    [Fact]
    public async Task ABodyThatIsNotJsonIsRefusedAsUnsupported()
    {
        var (client, _, conversationId, _, replyId) = await TurnAsync();

        using var response = await client.PutAsync(FeedbackPath(conversationId, replyId), new StringContent("rating=down", Encoding.UTF8, "application/x-www-form-urlencoded"), Token);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Null((await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{conversationId}", Token))!["messages"]![1]!["feedback"]);
    }

    [Fact]
    public async Task ACommentOverTwoThousandCharactersIs400AndOneOfExactlyTwoThousandIsTaken()
    {
        var (client, _, conversationId, _, replyId) = await TurnAsync();

        using var tooLong = await client.PutAsJsonAsync(FeedbackPath(conversationId, replyId), new { rating = "down", comment = new string('x', 2001) }, Token);
        using var emoji = await client.PutAsJsonAsync(FeedbackPath(conversationId, replyId), new { rating = "down", comment = string.Concat(Enumerable.Repeat("😀", 2000)) }, Token);

        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("At most 2000 characters.", (string?)(await tooLong.Content.ReadFromJsonAsync<JsonObject>(Token))!["errors"]!["comment"]![0]);
        // 2,000 characters, though 4,000 UTF-16 units: taken.
        Assert.Equal(HttpStatusCode.OK, emoji.StatusCode);
    }

    [Fact]
    public async Task RatingAnotherOwnersReplyOrAnUnknownOneIs404()
    {
        var (client, _, conversationId, _, replyId) = await TurnAsync();
        using var stranger = _factory.CreateClient(await _factory.NewOwnerCookieAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await stranger.PutAsJsonAsync(FeedbackPath(conversationId, replyId), new { rating = "down" }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync(FeedbackPath(conversationId, replyId), Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsJsonAsync(FeedbackPath(conversationId, "no-such-message"), new { rating = "down" }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsJsonAsync(FeedbackPath(ConversationIds.New(), replyId), new { rating = "down" }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsJsonAsync(FeedbackPath("not-an-id", replyId), new { rating = "down" }, Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsJsonAsync(FeedbackPath(conversationId, new string('m', 129)), new { rating = "down" }, Token)).StatusCode);
        Assert.Null((await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{conversationId}", Token))!["messages"]![1]!["feedback"]);
    }

    [Fact]
    public async Task ARatingReachesEveryTabWatchingTheConversation()
    {
        var (client, cookie, conversationId, _, replyId) = await TurnAsync();
        await using var otherTab = await _factory.ConnectAsync(cookie);
        await otherTab.SendAsync(new { type = "resume", conversationId });
        // The watch is in place once a switch from here comes back as its answer.
        await otherTab.SendAsync(new { type = "switch", conversationId, messageId = replyId });
        await otherTab.ReceiveTypeAsync("branch");

        (await client.PutAsJsonAsync(FeedbackPath(conversationId, replyId), new { rating = "down", comment = "wrong" }, Token)).EnsureSuccessStatusCode();
        var given = await otherTab.ReceiveTypeAsync("feedback");
        (await client.DeleteAsync(FeedbackPath(conversationId, replyId), Token)).EnsureSuccessStatusCode();
        var removed = await otherTab.ReceiveTypeAsync("feedback");

        Assert.Equal(conversationId, (string?)given["conversationId"]);
        Assert.Equal(replyId, (string?)given["messageId"]);
        Assert.Equal("down", (string?)given["feedback"]!["rating"]);
        Assert.Equal("wrong", (string?)given["feedback"]!["comment"]);
        Assert.True(removed.ContainsKey("feedback"));
        Assert.Null(removed["feedback"]);
    }

    [Fact]
    public async Task ARatingIsASpanUnderTheRepliesModelCallLinkedToTheReplyAndAnEvaluationEventWithNoUserText()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == FeedbackTelemetry.SourceName,
            Sample = (ref _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var counted = new ConcurrentQueue<(long Value, Dictionary<string, object?> Tags)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listening) =>
            {
                if (instrument.Meter.Name == FeedbackTelemetry.SourceName && instrument.Name == "aspirechat.feedback.ratings")
                {
                    listening.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) => counted.Enqueue((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        meters.Start();
        var (client, _, conversationId, _, replyId) = await TurnAsync();
        var reply = (await client.GetFromJsonAsync<JsonObject>($"/api/conversations/{conversationId}", Token))!["messages"]![1]!;
        var (traceId, spanId, modelSpanId) = ((string)reply["traceId"]!, (string)reply["spanId"]!, (string)reply["modelSpanId"]!);
        Assert.Equal("offline", (string?)reply["model"]);
        Assert.NotEqual(spanId, modelSpanId);

        (await client.PutAsJsonAsync(FeedbackPath(conversationId, replyId), new { rating = "down", comment = Comment }, Token)).EnsureSuccessStatusCode();

        var span = Assert.Single(spans, s => (string?)s.GetTagItem(FeedbackTelemetry.Attributes.MessageId) == replyId);
        Assert.Equal("evaluation user_feedback", span.DisplayName);
        Assert.Equal(traceId, span.TraceId.ToHexString());
        Assert.Equal(modelSpanId, span.ParentSpanId.ToHexString());
        Assert.Contains(span.Links, l => l.Context.SpanId.ToHexString() == spanId && l.Context.TraceId.ToHexString() == traceId);
        Assert.Equal("thumbs_down", span.GetTagItem("gen_ai.evaluation.score.label"));
        Assert.Equal(0.0, span.GetTagItem("gen_ai.evaluation.score.value"));
        Assert.Equal("user_feedback", span.GetTagItem("gen_ai.evaluation.name"));
        Assert.Equal("offline", span.GetTagItem("gen_ai.request.model"));
        Assert.Equal(true, span.GetTagItem(FeedbackTelemetry.Attributes.HasComment));
        Assert.DoesNotContain(span.TagObjects, t => t.Value?.ToString()?.Contains("capital", StringComparison.Ordinal) == true);

        var evaluation = Assert.Single(_logs.Events, e => e.EventName == "gen_ai.evaluation.result" && e.Attributes.Contains(new(FeedbackTelemetry.Attributes.MessageId, replyId)));
        Assert.Equal(traceId, evaluation.TraceId);
        Assert.Equal(span.SpanId.ToHexString(), evaluation.SpanId);
        Assert.Contains(new KeyValuePair<string, object?>("gen_ai.evaluation.score.label", "thumbs_down"), evaluation.Attributes);
        Assert.DoesNotContain(evaluation.Attributes, a => a.Value?.ToString()?.Contains("capital", StringComparison.Ordinal) == true);
        Assert.DoesNotContain("capital", evaluation.Message, StringComparison.Ordinal);

        // Counted by rating and model.
        var count = Assert.Single(counted);
        Assert.Equal(1, count.Value);
        Assert.Equal("thumbs_down", count.Tags["gen_ai.evaluation.score.label"]);
        Assert.Equal("offline", count.Tags["gen_ai.request.model"]);
    }

    private static string FeedbackPath(string conversationId, string messageId) =>
        $"/api/conversations/{conversationId}/messages/{Uri.EscapeDataString(messageId)}/feedback";

    /// <summary>One turn of a new owner's: its client, cookie, conversation, user message and reply.</summary>
    private async Task<(HttpClient Client, string Cookie, string ConversationId, string UserId, string ReplyId)> TurnAsync()
    {
        var cookie = await _factory.NewOwnerCookieAsync();
        await using var socket = await _factory.ConnectAsync(cookie);
        await socket.SendMessageAsync("What is the capital of Australia?", id: "u-1");
        var frames = await socket.ReceiveReplyAsync();
        Assert.Equal("end", (string?)frames[^1]["type"]);
        return (_factory.CreateClient(cookie), cookie, (string)frames[0]["conversationId"]!, "u-1", (string)frames[0]["messageId"]!);
    }

    /// <summary>Log records with their event name, attributes and trace context, as OpenTelemetry's logger reads them.</summary>
    private sealed class EventCapture : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<(string? EventName, IReadOnlyList<KeyValuePair<string, object?>> Attributes, string Message, string TraceId, string SpanId)> Events { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Events.Enqueue((eventId.Name, state as IReadOnlyList<KeyValuePair<string, object?>> ?? [], formatter(state, exception),
                Activity.Current?.TraceId.ToHexString() ?? "", Activity.Current?.SpanId.ToHexString() ?? ""));

        public void Dispose()
        {
        }
    }
}

using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// A thumbs-down through the real AppHost, read back from the dashboard's telemetry: the rating is a span in the
/// reply's own trace, under the exact model call that wrote the reply and linked to the reply's span, with the
/// <c>gen_ai.evaluation.result</c> log record in it, and none of the user's comment anywhere.
/// </summary>
public sealed class FeedbackTelemetryTests(DashboardAppFixture fixture) : IClassFixture<DashboardAppFixture>
{
    private const string Comment = "secret-comment <script>alert(1)</script> the answer was wrong";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AThumbsDownIsASpanInTheRepliesTraceUnderItsModelCallWithItsEvaluationRecordAndNoUserText()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(Timeout);
        var cancellationToken = deadline.Token;
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("web", cancellationToken);
        var chat = new WebSocketChat(fixture.App.GetEndpoint("web", "http"));
        var reply = await chat.SendAsync("Rate me, through Aspire", BrowserTrace.New().Traceparent, cancellationToken);
        using var web = chat.CreateHttpClient();
        var stored = (await web.GetFromJsonAsync<JsonObject>($"/api/conversations/{reply.ConversationId}", cancellationToken))!["messages"]![1]!;
        var (traceId, replySpanId, modelSpanId) = ((string)stored["traceId"]!, (string)stored["spanId"]!, (string)stored["modelSpanId"]!);

        using var rated = await web.PutAsJsonAsync($"/api/conversations/{reply.ConversationId}/messages/{reply.MessageId}/feedback", new { rating = "down", comment = Comment }, cancellationToken);
        rated.EnsureSuccessStatusCode();

        using var dashboard = await fixture.DashboardApiAsync(cancellationToken);
        var (spans, spansJson) = await WaitForAsync(dashboard, $"/api/telemetry/spans?traceId={traceId}&limit=500", "spans",
            s => s.Any(span => (string?)span["name"] == "evaluation user_feedback"), cancellationToken);
        var rating = spans.Single(s => (string?)s["name"] == "evaluation user_feedback");
        var model = spans.Single(s => (string?)s["spanId"] == modelSpanId);
        var details = $"{spansJson}{Environment.NewLine}{fixture.ResourceLogs()}";

        // One click from the rating: its parent is the model call (chat offline), in the reply's trace; it links to the reply's span.
        Assert.True((string?)model["name"] == "chat offline", details);
        Assert.Equal(traceId, (string?)rating["traceId"]);
        Assert.Equal(modelSpanId, (string?)rating["parentSpanId"]);
        Assert.True(spans.Any(s => (string?)s["spanId"] == replySpanId && (string?)s["name"] == "reply"), details);
        Assert.Contains(rating["links"]!.AsArray(), l => (string?)l!["spanId"] == replySpanId && (string?)l["traceId"] == traceId);
        Assert.Equal("thumbs_down", Attribute(rating, "gen_ai.evaluation.score.label"));
        Assert.Equal("user_feedback", Attribute(rating, "gen_ai.evaluation.name"));
        Assert.Equal("offline", Attribute(rating, "gen_ai.request.model"));

        var (records, logsJson) = await WaitForAsync(dashboard, $"/api/telemetry/logs?traceId={traceId}&limit=500", "logRecords",
            r => r.Any(record => (string?)record["eventName"] == "gen_ai.evaluation.result"), cancellationToken);
        // The GenAI conventions' evaluation event: a log record with its event name, in the rating span.
        var evaluation = records.Single(r => (string?)r["eventName"] == "gen_ai.evaluation.result");
        Assert.Equal((string?)rating["spanId"], (string?)evaluation["spanId"]);
        Assert.Equal("thumbs_down", Attribute(evaluation, "gen_ai.evaluation.score.label"));

        // Nothing the user wrote, in any span or record of the trace.
        Assert.DoesNotContain("secret-comment", spansJson, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-comment", logsJson, StringComparison.Ordinal);
    }

    /// <summary>Polls the dashboard until the items (spans or log records) of the answer satisfy <paramref name="done"/>.</summary>
    private static async Task<(List<JsonObject> Items, string Json)> WaitForAsync(
        HttpClient dashboard, string path, string arrayName, Func<List<JsonObject>, bool> done, CancellationToken cancellationToken)
    {
        var json = "";
        while (true)
        {
            using var response = await dashboard.GetAsync(path, cancellationToken);
            json = await response.Content.ReadAsStringAsync(cancellationToken);
            Assert.True(response.IsSuccessStatusCode, $"The dashboard's telemetry API answered {(int)response.StatusCode}: {json}");
            var items = Collect(JsonNode.Parse(json), arrayName).ToList();
            if (done(items))
            {
                return (items, json);
            }

            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>Every object in every array called <paramref name="arrayName"/> (OTLP JSON nests them under resources and scopes).</summary>
    private static IEnumerable<JsonObject> Collect(JsonNode? node, string arrayName) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Key == arrayName && p.Value is JsonArray items
            ? items.OfType<JsonObject>()
            : Collect(p.Value, arrayName)),
        JsonArray array => array.SelectMany(item => Collect(item, arrayName)),
        _ => [],
    };

    /// <summary>An OTLP JSON attribute's value as text: <c>{"key": …, "value": {"stringValue": …}}</c>.</summary>
    private static string? Attribute(JsonObject item, string key) =>
        item["attributes"]?.AsArray().FirstOrDefault(a => (string?)a!["key"] == key)?["value"]?.AsObject().FirstOrDefault().Value?.ToString();
}

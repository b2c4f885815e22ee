using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AspireChat.Web.Proxy;

namespace AspireChat.Tests.Web;

/// <summary>Web's hop in a chat message's trace: parented on the page's traceparent, handed on to ChatApi.</summary>
public sealed class MessageFrameTracingTests : IDisposable
{
    private const string PageTraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string PageSpanId = "b7ad6b7169203331";

    private readonly List<Activity> _stopped = [];
    private readonly ActivityListener _listener;

    public MessageFrameTracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MessageFrameTracing.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Add,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public void MessageFrameGetsASpanInThePagesTraceAndCarriesItsId()
    {
        var frame = Encoding.UTF8.GetBytes($$"""{"type":"message","content":"Hi <b>","id":"c-1","conversationId":"k","traceparent":"00-{{PageTraceId}}-{{PageSpanId}}-01","future":{"x":1} }""");

        var (activity, rewritten) = MessageFrameTracing.StartMessageSpan(frame) ?? throw new Xunit.Sdk.XunitException("Expected a span for a message frame.");
        activity.Dispose();

        Assert.Equal("ws message", activity.DisplayName);
        Assert.Equal(ActivityKind.Client, activity.Kind);
        Assert.Equal(PageTraceId, activity.TraceId.ToHexString());
        Assert.Equal(PageSpanId, activity.ParentSpanId.ToHexString());
        using var json = JsonDocument.Parse(rewritten);
        var root = json.RootElement;
        Assert.Equal($"00-{PageTraceId}-{activity.SpanId.ToHexString()}-01", root.GetProperty("traceparent").GetString());
        // Everything else passes unchanged, including fields this version does not know.
        Assert.Equal("Hi <b>", root.GetProperty("content").GetString());
        Assert.Equal("c-1", root.GetProperty("id").GetString());
        Assert.Equal(1, root.GetProperty("future").GetProperty("x").GetInt32());
        Assert.Contains(_stopped, a => a.SpanId == activity.SpanId);
    }

    [Fact]
    public void MessageFrameWithoutTraceparentStillGetsOne()
    {
        var frame = """{"type":"message","content":"Hi"}"""u8.ToArray();

        var (activity, rewritten) = MessageFrameTracing.StartMessageSpan(frame) ?? throw new Xunit.Sdk.XunitException("Expected a span for a message frame.");
        activity.Dispose();

        using var json = JsonDocument.Parse(rewritten);
        Assert.Equal(activity.Id, json.RootElement.GetProperty("traceparent").GetString());
    }

    [Theory]
    [InlineData("""{"type":"stop","conversationId":"k"}""")]
    [InlineData("""not json""")]
    [InlineData("""["message"]""")]
    [InlineData("""{"type":"message","type":"message"}""")]
    public void OtherFramesPassUntouched(string frame)
    {
        Assert.Null(MessageFrameTracing.StartMessageSpan(Encoding.UTF8.GetBytes(frame)));
        Assert.Empty(_stopped);
    }

    public void Dispose() => _listener.Dispose();
}

using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using AspireChat.Tests.Fixtures;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.Integration.ServiceDefaults;

/// <summary>
/// ServiceDefaults' rule for a WebSocket's request span (AspireChatTelemetry.cs): the span lives as long as the socket,
/// so it holds none of the request's tags while the socket is open, and has them all when it ends and is exported.
/// On a real Kestrel socket, with ChatApi's own OpenTelemetry pipeline.
/// </summary>
public sealed class WebSocketRequestSpanTests : IAsyncLifetime
{
    private static readonly string[] RequestTags = ["http.request.method", "url.scheme", "url.path", "server.address", "server.port", "user_agent.original"];

    private readonly ChatApiFactory _factory = new();
    private Uri _address = null!;

    public ValueTask InitializeAsync()
    {
        _factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        _address = new Uri(_factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task AnOpenSocketsRequestSpanHoldsNoRequestTagsAndHasThemWhenItEnds()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // The handshake continues this test's trace (the client's HTTP span, when there is one, is its child).
        using var test = new Activity(nameof(AnOpenSocketsRequestSpanHoldsNoRequestTagsAndHasThemWhenItEnds)).SetIdFormat(ActivityIdFormat.W3C).Start();
        test.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        var traceId = test.TraceId;
        Activity? request = null;
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            // Leaves the sampling to ChatApi's own pipeline.
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStarted = activity => request = activity.TraceId == traceId ? activity : request,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == traceId)
                {
                    ended.TrySetResult();
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("User-Agent", "span-rule-test");

        await socket.ConnectAsync(new UriBuilder(_address) { Scheme = "ws", Path = "/ws" }.Uri, cancellationToken);

        // Open: the request span is recorded, and holds none of the request's tags.
        Assert.NotNull(request);
        Assert.True(request.Recorded, "ChatApi's pipeline did not record the socket's request span.");
        Assert.All(RequestTags, tag => Assert.Null(request.GetTagItem(tag)));

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
        await ended.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);

        // Ended: the tags are there, beside the instrumentation's own route and status.
        Assert.Equal("GET", request.GetTagItem("http.request.method"));
        Assert.Equal("http", request.GetTagItem("url.scheme"));
        Assert.Equal("/ws", request.GetTagItem("url.path"));
        Assert.Equal(_address.Host, request.GetTagItem("server.address"));
        Assert.Equal(_address.Port, request.GetTagItem("server.port"));
        Assert.Equal("span-rule-test", request.GetTagItem("user_agent.original"));
        Assert.Equal("/ws", request.GetTagItem("http.route"));
        Assert.Equal(101, request.GetTagItem("http.response.status_code"));
    }
}

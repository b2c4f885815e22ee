using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using AspireChat.Tests.Browser;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Web;

/// <summary>Web's proxy in front of a real ChatApi: what passes, what is refused, and that nothing is buffered.</summary>
public sealed class WebProxyTests(SlowChatSite web) : IClassFixture<SlowChatSite>
{
    private ChatSite Site => web.Site;

    private Uri WebSocketUri => new UriBuilder(Site.BaseAddress) { Scheme = "ws", Path = "/ws" }.Uri;

    [Fact]
    public async Task HandshakeFromAForeignOriginIsRefusedByWeb()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Origin", "https://evil.example");

        var refused = await Assert.ThrowsAsync<WebSocketException>(
            () => socket.ConnectAsync(WebSocketUri, TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
        // Web refused it itself (ChatApi would answer 403 too, behind it): its log says so.
        await WaitForAsync(() => Site.Web.Output.Contains("Refused a WebSocket handshake from foreign origin https://evil.example", StringComparison.Ordinal));
        GC.KeepAlive(refused);
    }

    [Fact]
    public async Task HandshakeFromThePagesOwnOriginGetsTheOwnerCookieAndAReply()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Origin", Site.BaseAddress.GetLeftPart(UriPartial.Authority));

        await socket.ConnectAsync(WebSocketUri, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        Assert.True(socket.HttpResponseHeaders!.TryGetValue("Set-Cookie", out var cookies), "ChatApi's owner cookie should ride on Web's 101.");
        Assert.Contains(cookies, cookie => cookie.StartsWith("aspirechat_owner=", StringComparison.Ordinal));

        await socket.SendAsync("""{"type":"message","content":"ping through the proxy","id":"c-1"}"""u8.ToArray(), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        var first = await ReceiveTextAsync(socket);
        Assert.Contains("\"type\":\"start\"", first, StringComparison.Ordinal);
        Assert.Contains("\"replyTo\":\"c-1\"", first, StringComparison.Ordinal);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketState.Closed, socket.State);
    }

    [Fact]
    public async Task FramesLargerThanTheRelaysBufferStreamThroughUnchanged()
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketUri, TestContext.Current.CancellationToken);
        var large = Encoding.UTF8.GetBytes($$"""{"type":"message","content":"{{new string('x', 100 * 1024)}}"}""");

        // Sent in fragments, as a browser may: the relay passes them on as they come.
        for (var offset = 0; offset < large.Length; offset += 16 * 1024)
        {
            var count = Math.Min(16 * 1024, large.Length - offset);
            await socket.SendAsync(large.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == large.Length, TestContext.Current.CancellationToken);
        }

        Assert.Contains("\"code\":\"frame_too_large\"", await ReceiveTextAsync(socket), StringComparison.Ordinal);
        // The connection survives it, and the next frame is a normal one.
        await socket.SendAsync("""{"type":"message","content":"small again","id":"c-2"}"""u8.ToArray(), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        Assert.Contains("\"type\":\"start\"", await ReceiveTextAsync(socket), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OwnerCookieTravelsBothWaysThroughTheRestApi()
    {
        using var handler = new HttpClientHandler { CookieContainer = new CookieContainer() };
        using var http = new HttpClient(handler) { BaseAddress = Site.BaseAddress };

        using var first = await http.GetAsync("/api/conversations", TestContext.Current.CancellationToken);
        var owner = handler.CookieContainer.GetCookies(Site.BaseAddress)["aspirechat_owner"];
        using var second = await http.GetAsync("/api/conversations", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotNull(owner);
        Assert.True(owner.HttpOnly);
        // The cookie went back with the second request, so ChatApi did not mint another.
        Assert.False(second.Headers.Contains("Set-Cookie"), "ChatApi saw no owner cookie on the second request.");
    }

    [Fact]
    public async Task EventStreamReachesTheBrowserEventByEventNotAtTheEnd()
    {
        using var http = new HttpClient { BaseAddress = Site.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chat")
        {
            Content = new StringContent("""{"content":"stream to me"}""", Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        var clock = Stopwatch.StartNew();
        TimeSpan? firstChunk = null;
        TimeSpan? end = null;
        while (await reader.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
        {
            if (line == "event: chunk")
            {
                firstChunk ??= clock.Elapsed;
            }
            else if (line == "event: end")
            {
                end = clock.Elapsed;
                break;
            }
        }

        Assert.NotNull(firstChunk);
        Assert.NotNull(end);
        // The slow model writes for seconds; a buffering proxy would deliver every event at the end.
        Assert.True(end - firstChunk > TimeSpan.FromSeconds(2), $"The first chunk came at {firstChunk}, the end at {end}: the stream was held back.");
    }

    [Fact]
    public async Task SecurityHeadersForbidInlineScriptAndForeignOrigins()
    {
        using var http = new HttpClient { BaseAddress = Site.BaseAddress };

        using var page = await http.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        // The one inline script, the import map, is allowed by its hash: exactly the page's, and nothing else inline.
        var importMap = Assert.Single(AspireChat.Web.PageSecurityHeaders.ImportMapHashes(html));
        Assert.Contains($"script-src 'self' {importMap};", csp, StringComparison.Ordinal);
        Assert.Contains("connect-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        // The page's libraries are served from Web itself (copied from npm at build), never a CDN.
        using var library = await http.GetAsync("/lib/purify.es.mjs", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, library.StatusCode);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        using var sdk = await http.GetAsync("/lib/otel/sdk-trace/dist/index.mjs", TestContext.Current.CancellationToken);
        Assert.Equal("text/javascript", sdk.Content.Headers.ContentType?.MediaType);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        // Process output is read asynchronously: allow it a moment to arrive.
        for (var waited = 0; !condition(); waited += 50)
        {
            Assert.True(waited < 5_000, "The expected log line did not appear.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}

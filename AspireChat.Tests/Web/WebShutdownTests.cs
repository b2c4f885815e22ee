using System.Diagnostics;
using System.Net.WebSockets;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Web;

public sealed class WebShutdownTests
{
    [Fact]
    public async Task StoppingWebEndsOpenSocketsAtOnceAndExitsPromptly()
    {
        await using var site = await ChatSite.StartAsync(OfflineModelPacing.Fast, TestContext.Current.CancellationToken);
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", site.BaseAddress.GetLeftPart(UriPartial.Authority));
        await socket.ConnectAsync(new UriBuilder(site.BaseAddress) { Scheme = "ws", Path = "/ws" }.Uri, TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();

        var stopping = site.Web.StopAsync(TimeSpan.FromSeconds(15));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        // The page sees its socket end (any way it ends, it reconnects), instead of hanging on a dying server.
        var ended = await Record.ExceptionAsync(async () => await socket.ReceiveAsync(new byte[1024], timeout.Token));
        await stopping;

        Assert.False(timeout.IsCancellationRequested, "The socket was still open 10 s after Web began to stop.");
        Assert.True(ended is WebSocketException || socket.State is WebSocketState.CloseReceived or WebSocketState.Closed, $"The socket did not end: {ended}");
        // Kestrel would wait its whole shutdown timeout (30 s) for a socket nobody closes.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Web took {clock.Elapsed} to stop with a socket open.");
        Assert.True(site.Web.HasExited);
    }
}

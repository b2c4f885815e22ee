using System.Net;
using System.Net.WebSockets;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Web;

/// <summary>Web with no ChatApi behind it answers at once, and says the gateway failed.</summary>
public sealed class ChatApiAwayTests
{
    [Fact]
    public async Task ApiAndSocketAnswerBadGatewayWhenChatApiIsNotThere()
    {
        var nobody = new Uri($"http://127.0.0.1:{ServiceProcess.FreeTcpPort()}");
        await using var web = await ServiceProcess.StartAsync(
            "AspireChat.Web",
            new Dictionary<string, string?> { ["services__chatapi__http__0"] = nobody.ToString() },
            cancellationToken: TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = web.BaseAddress };
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        using var list = await http.GetAsync("/api/conversations", TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(
            new UriBuilder(web.BaseAddress) { Scheme = "ws", Path = "/ws" }.Uri, TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.BadGateway, list.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, socket.HttpStatusCode);
        // The page itself is still served: it shows the outage and keeps retrying.
        using var page = await http.GetAsync("/", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }
}

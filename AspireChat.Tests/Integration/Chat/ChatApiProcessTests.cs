using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Integration.Chat;

/// <summary>ChatApi as a real process on a real socket, as `dotnet run` and the AppHost start it.</summary>
public sealed class ChatApiProcessTests
{
    [Fact]
    public async Task WithNoConfigurationItServesTheWebSocketAndStreamsTheOfflineModel()
    {
        await using var chatApi = await ServiceProcess.StartAsync("AspireChat.ChatApi", cancellationToken: TestContext.Current.CancellationToken);
        await using var socket = await ChatSocketClient.ConnectAsync(chatApi.BaseAddress, cancellationToken: TestContext.Current.CancellationToken);

        await socket.SendMessageAsync("Hello from a real socket");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal("offline", (string?)frames[0]["model"]);
        Assert.Contains("> Hello from a real socket", ChatSocketClient.TextOf(frames));
        Assert.Equal("stop", (string?)frames[^1]["finishReason"]);
    }

    [Fact]
    public async Task ShutdownWhileAReplyStreamsEndsItAsCancelledBeforeTheSocketCloses()
    {
        await using var chatApi = await ServiceProcess.StartAsync("AspireChat.ChatApi", new Dictionary<string, string?>
        {
            ["Model__Offline__TimeToFirstToken"] = "00:00:00",
            ["Model__Offline__TokensPerSecond"] = "5",
            ["Chat__ShutdownDrainTime"] = "00:00:01",
        }, cancellationToken: TestContext.Current.CancellationToken);
        await using var socket = await ChatSocketClient.ConnectAsync(chatApi.BaseAddress, cancellationToken: TestContext.Current.CancellationToken);
        await socket.SendMessageAsync("A long answer, please");
        await socket.ReceiveTypeAsync("start");
        await socket.ReceiveTypeAsync("chunk");

        var stopping = chatApi.StopAsync(TimeSpan.FromSeconds(20));
        var frames = await socket.ReceiveReplyAsync(TimeSpan.FromSeconds(20));
        var afterEnd = await socket.ReceiveAsync(TimeSpan.FromSeconds(20));
        await stopping;

        Assert.Equal("cancelled", (string?)frames[^1]["finishReason"]);
        Assert.Null(afterEnd);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.Socket.CloseStatus);
        Assert.True(chatApi.HasExited);
    }

    [Fact]
    public async Task ADeadPeerIsDetectedByKeepAliveAndItsConnectionFreed()
    {
        await using var chatApi = await ServiceProcess.StartAsync("AspireChat.ChatApi", new Dictionary<string, string?>
        {
            // Wide enough that the dead peer still holds its slot when the second socket asks, on a loaded machine.
            ["Chat__KeepAliveInterval"] = "00:00:05",
            ["Chat__KeepAliveTimeout"] = "00:00:05",
            ["Chat__Limits__MaxConnectionsPerClient"] = "1",
        }, cancellationToken: TestContext.Current.CancellationToken);
        var cookie = "aspirechat_owner=AAAAAAAAAAAAAAAAAAAAAA";

        // A peer that completes the handshake and then never reads again: it cannot answer pings.
        using var dead = await OpenSilentWebSocketAsync(chatApi.BaseAddress, cookie);
        await using (var refused = await ChatSocketClient.ConnectAsync(chatApi.BaseAddress, cookie, cancellationToken: TestContext.Current.CancellationToken))
        {
            Assert.Equal("too_many_connections", (string?)(await refused.ReceiveTypeAsync("error"))["code"]);
        }

        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (true)
        {
            await Task.Delay(500);
            await using var retry = await ChatSocketClient.ConnectAsync(chatApi.BaseAddress, cookie, cancellationToken: TestContext.Current.CancellationToken);
            await retry.SendMessageAsync("am I in?");
            var first = await retry.ReceiveAsync();
            if ((string?)first?["type"] == "start")
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "The dead peer's connection was never freed.");
        }
    }

    private static async Task<TcpClient> OpenSilentWebSocketAsync(Uri baseAddress, string cookie)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stream = tcp.GetStream();
        var handshake = $"GET /ws HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(handshake));
        var response = new byte[1024];
        var read = await stream.ReadAsync(response);
        Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString(response, 0, read));
        return tcp;
    }
}

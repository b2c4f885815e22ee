using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AspireChat.ChatApi.WebSockets;
using AspireChat.Tests.Fixtures;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.Integration.Chat;

/// <summary>
/// The WebSocket endpoint on a real Kestrel socket, so ChatApi reads with .NET's own WebSocket: it waits for each
/// message with a zero-byte receive, which TestServer's in-memory socket (<see cref="ChatSocketTests"/>) does not show.
/// </summary>
public sealed class ChatSocketKestrelTests : IAsyncLifetime
{
    private readonly ChatApiFactory _factory = new();
    private Uri _address = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        // Listen on a free port through Kestrel's options: UseKestrel(0) would set the port after ChatApi's
        // host may already have started, and fail now and then.
        _factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        _factory.StartServer();
        _address = new Uri(_factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task AMessageLongerThanTheFirstReceiveBufferAndSentInPiecesIsAnsweredWhole()
    {
        await using var socket = await ChatSocketClient.ConnectAsync(_address, cancellationToken: Token);
        var content = string.Join(' ', Enumerable.Range(0, 3_000).Select(i => $"w{i}"));

        await SendInPiecesAsync(socket, JsonSerializer.Serialize(new { type = "message", content }), pieceBytes: 1000);
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal("end", ChatSocketClient.TypesOf(frames).Last());
        Assert.Contains($"> {content}\n", ChatSocketClient.TextOf(frames));
    }

    [Fact]
    public async Task AFrameOverTheLimitIsRefusedAndTheNextMessageIsAnswered()
    {
        await using var socket = await ChatSocketClient.ConnectAsync(_address, cancellationToken: Token);

        await SendInPiecesAsync(socket, JsonSerializer.Serialize(new { type = "message", content = new string('x', 40 * 1024) }), pieceBytes: 4096);
        var error = await socket.ReceiveTypeAsync("error");
        await socket.SendMessageAsync("still there?");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal("frame_too_large", (string?)error["code"]);
        Assert.Contains("> still there?", ChatSocketClient.TextOf(frames));
    }

    [Fact]
    public async Task ABinaryFrameIsRefusedAndTheNextMessageIsAnswered()
    {
        await using var socket = await ChatSocketClient.ConnectAsync(_address, cancellationToken: Token);

        await socket.Socket.SendAsync(new byte[10_000], WebSocketMessageType.Binary, endOfMessage: true, Token);
        var error = await socket.ReceiveTypeAsync("error");
        await socket.SendMessageAsync("still there?");
        var frames = await socket.ReceiveReplyAsync();

        Assert.Equal("binary_not_supported", (string?)error["code"]);
        Assert.Contains("> still there?", ChatSocketClient.TextOf(frames));
    }

    [Fact]
    public async Task ATextFrameThatIsNotUtf8IsAlwaysClosedWith1007AndAReasonAndOtherConnectionsCarryOn()
    {
        await using var bystander = await ChatSocketClient.ConnectAsync(_address, cancellationToken: Token);
        for (var attempt = 1; attempt <= 10; attempt++)
        {
            await using var socket = await ChatSocketClient.ConnectAsync(_address, cancellationToken: Token);

            // 0xC3 starts a two-byte sequence that 0x28 does not continue: not UTF-8.
            await socket.Socket.SendAsync(new byte[] { (byte)'{', 0xC3, 0x28, (byte)'}' }, WebSocketMessageType.Text, endOfMessage: true, Token);
            JsonObject? closed;
            try
            {
                closed = await socket.ReceiveAsync(TimeSpan.FromSeconds(10));
            }
            catch (WebSocketException exception)
            {
                throw new Xunit.Sdk.XunitException($"Try {attempt}: the connection broke without a close frame ({exception.WebSocketErrorCode}).", exception);
            }

            Assert.Null(closed);
            Assert.True(socket.Socket.CloseStatus == WebSocketCloseStatus.InvalidPayloadData, $"Try {attempt}: closed with {socket.Socket.CloseStatus?.ToString() ?? "no close frame"} ({socket.Socket.State}).");
            Assert.Equal(InvalidUtf8CloseReason.Reason, socket.Socket.CloseStatusDescription);
        }

        await bystander.SendMessageAsync("still there?");
        Assert.Contains("> still there?", ChatSocketClient.TextOf(await bystander.ReceiveReplyAsync()));
    }

    private static async Task SendInPiecesAsync(ChatSocketClient socket, string text, int pieceBytes)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var offset = 0; offset < bytes.Length; offset += pieceBytes)
        {
            var count = Math.Min(pieceBytes, bytes.Length - offset);
            await socket.Socket.SendAsync(bytes.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == bytes.Length, Token);
        }
    }
}

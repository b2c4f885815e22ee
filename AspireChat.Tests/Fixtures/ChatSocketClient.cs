using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AspireChat.Tests.Fixtures;

/// <summary>A test's end of a chat WebSocket: sends frames as JSON, reads frames as JSON objects.</summary>
public sealed class ChatSocketClient(WebSocket socket) : IAsyncDisposable
{
    public WebSocket Socket { get; } = socket;

    public static async Task<ChatSocketClient> ConnectAsync(Uri baseAddress, string? cookie = null, string? origin = null, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", cookie);
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        var uri = new UriBuilder(baseAddress) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws", Path = "/ws" }.Uri;
        await socket.ConnectAsync(uri, cancellationToken);
        return new ChatSocketClient(socket);
    }

    public Task SendAsync(object frame) => SendTextAsync(JsonSerializer.Serialize(frame));

    public Task SendTextAsync(string text) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    public Task SendMessageAsync(string content, string? conversationId = null, string? id = null) =>
        SendAsync(new { type = "message", content, conversationId, id });

    /// <summary>The next frame, or null when the server closed the socket.</summary>
    public async Task<JsonObject?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await Socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonNode.Parse(message.ToArray())!.AsObject();
            }
        }
    }

    public async Task<JsonObject> ReceiveTypeAsync(string type, TimeSpan? timeout = null)
    {
        var frame = await ReceiveAsync(timeout) ?? throw new InvalidOperationException($"The socket closed while waiting for a {type} frame.");
        Assert.True((string?)frame["type"] == type, $"Expected a {type} frame, got {frame.ToJsonString()}");
        return frame;
    }

    /// <summary>Reads frames until an end frame (returned last) or a refusal error (an error with no reply).</summary>
    public async Task<List<JsonObject>> ReceiveReplyAsync(TimeSpan? timeout = null)
    {
        var frames = new List<JsonObject>();
        while (await ReceiveAsync(timeout) is { } frame)
        {
            frames.Add(frame);
            var type = (string?)frame["type"];
            if (type == "end" || (type == "error" && frames.Count == 1))
            {
                break;
            }
        }

        return frames;
    }

    /// <summary>The text of a reply: its chunks in seq order, checked to have no gaps.</summary>
    public static string TextOf(IEnumerable<JsonObject> frames)
    {
        var chunks = frames.Where(f => (string?)f["type"] == "chunk").ToList();
        Assert.Equal(Enumerable.Range(1, chunks.Count).Select(i => (long)i), chunks.Select(c => (long)c["seq"]!));
        return string.Concat(chunks.Select(c => (string?)c["content"]));
    }

    public static IEnumerable<string?> TypesOf(IEnumerable<JsonObject> frames) => frames.Select(f => (string?)f["type"]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // Already gone.
        }

        Socket.Dispose();
    }
}

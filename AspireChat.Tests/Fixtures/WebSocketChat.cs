using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AspireChat.Tests.Fixtures;

/// <summary>
/// A browser's side of one chat turn, as the page does it: an ordinary request first (which sets the
/// owner cookie), then a <c>message</c> frame over <c>/ws</c> carrying a W3C traceparent, reading
/// frames until the reply's <c>end</c>. The cookies stay with the instance for later REST calls.
/// </summary>
public sealed class WebSocketChat(Uri baseAddress)
{
    public CookieContainer Cookies { get; } = new();

    /// <summary>
    /// An HttpClient for <paramref name="address"/> (default: the chat's) that sends this chat's owner cookie and, like a
    /// browser, only the trace context a request itself carries.
    /// </summary>
    public HttpClient CreateHttpClient(Uri? address = null)
    {
        var target = address ?? baseAddress;
        // The owner cookie was issued for the chat's host; a client for another service carries it explicitly.
        // No activity propagator: while another test's in-process host runs, its OpenTelemetry HttpClient instrumentation
        // would otherwise replace a request's traceparent with a span of this test process (it removes the header first).
        var handler = new SocketsHttpHandler { UseCookies = false, ActivityHeadersPropagator = null };
        var client = new HttpClient(handler) { BaseAddress = target, Timeout = TimeSpan.FromSeconds(30) };
        var header = Cookies.GetCookieHeader(baseAddress);
        if (header.Length > 0)
        {
            client.DefaultRequestHeaders.Add("Cookie", header);
        }

        return client;
    }

    /// <summary>
    /// Opens <c>/ws</c> as the page does: an ordinary request first, so the owner cookie is set,
    /// then the WebSocket handshake carrying it.
    /// </summary>
    public async Task<ClientWebSocket> ConnectAsync(CancellationToken cancellationToken)
    {
        using (var http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies }) { BaseAddress = baseAddress })
        {
            using var response = await http.GetAsync("/api/conversations", cancellationToken);
            response.EnsureSuccessStatusCode();
        }

        var socket = new ClientWebSocket();
        socket.Options.Cookies = Cookies;
        var scheme = baseAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        await socket.ConnectAsync(new UriBuilder(baseAddress) { Scheme = scheme, Path = "/ws" }.Uri, cancellationToken);
        return socket;
    }

    /// <summary>Sends one user message (in a new conversation) and returns the reply once its <c>end</c> frame arrived.</summary>
    public Task<ChatReply> SendAsync(string content, string? traceparent, CancellationToken cancellationToken) =>
        SendAsync(content, traceparent, conversationId: null, cancellationToken);

    /// <summary>Sends one user message to <paramref name="conversationId"/> and returns the reply once its <c>end</c> frame arrived.</summary>
    public async Task<ChatReply> SendAsync(string content, string? traceparent, string? conversationId, CancellationToken cancellationToken)
    {
        using var socket = await ConnectAsync(cancellationToken);
        var id = "c-" + Guid.NewGuid().ToString("N")[..8];
        var message = new JsonObject { ["type"] = "message", ["content"] = content, ["id"] = id };
        if (conversationId is not null)
        {
            message["conversationId"] = conversationId;
        }

        if (traceparent is not null)
        {
            message["traceparent"] = traceparent;
        }

        await SendFrameAsync(socket, message, cancellationToken);

        var frames = new List<JsonObject>();
        while (true)
        {
            var frame = await ReceiveFrameAsync(socket, cancellationToken)
                ?? throw new InvalidOperationException($"The socket closed before the reply ended. Frames: {string.Join(", ", frames)}");
            frames.Add(frame);
            var type = (string?)frame["type"];
            if (type == "end" && (string?)frame["replyTo"] == id)
            {
                break;
            }

            // A message that was not taken gets an error and nothing after it: an error about no message, or one that
            // answers this message and is not one of the two an end follows (docs/protocol.md).
            var replyTo = (string?)frame["replyTo"];
            if (type == "error"
                && ((replyTo is null && (string?)frame["conversationId"] is null) || (replyTo == id && (string?)frame["code"] is not ("model_error" or "history_not_saved"))))
            {
                throw new InvalidOperationException($"The message was rejected: {frame.ToJsonString()}");
            }
        }

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
        return ChatReply.From(id, frames);
    }

    public static Task SendFrameAsync(ClientWebSocket socket, JsonObject frame, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    /// <summary>The next text frame as JSON; null when the server closed the socket.</summary>
    public static async Task<JsonObject?> ReceiveFrameAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var text = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            text.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonNode.Parse(text.ToArray())?.AsObject();
            }
        }
    }
}

/// <summary>A reply as the client saw it: its ids, its text (the chunks in order) and how it ended.</summary>
public sealed record ChatReply(string ClientMessageId, string ConversationId, string MessageId, string Text, string FinishReason, IReadOnlyList<JsonObject> Frames)
{
    public int ChunkCount => Frames.Count(f => (string?)f["type"] == "chunk");

    public static ChatReply From(string clientMessageId, IReadOnlyList<JsonObject> frames)
    {
        var start = frames.FirstOrDefault(f => (string?)f["type"] == "start")
            ?? throw new InvalidOperationException($"No start frame: {string.Join(", ", frames.Select(f => f.ToJsonString()))}");
        var end = frames[^1];
        var text = string.Concat(frames
            .Where(f => (string?)f["type"] == "chunk")
            .OrderBy(f => (int?)f["seq"])
            .Select(f => (string?)f["content"]));
        return new ChatReply(
            clientMessageId,
            (string?)start["conversationId"] ?? "",
            (string?)start["messageId"] ?? "",
            text,
            (string?)end["finishReason"] ?? "",
            frames);
    }

    public override string ToString() => JsonSerializer.Serialize(Frames.Select(f => f.ToJsonString()));
}

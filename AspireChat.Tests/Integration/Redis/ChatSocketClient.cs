using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using AspireChat.ChatApi.Conversations;

namespace AspireChat.Tests.Integration.Redis;

/// <summary>A test's browser: an owner cookie, the chat WebSocket and the REST API of one ChatApi.</summary>
internal sealed class ChatSocketClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _receiveLoop;

    private ChatSocketClient(ClientWebSocket socket, HttpClient http)
    {
        _socket = socket;
        Http = http;
        // One reader for the socket's life: a cancelled ClientWebSocket receive would abort the socket.
        _receiveLoop = ReceiveLoopAsync();
    }

    public HttpClient Http { get; }

    /// <summary>Connects as <paramref name="ownerId"/> (the cookie a browser would hold).</summary>
    public static async Task<ChatSocketClient> ConnectAsync(Uri baseAddress, string ownerId, CancellationToken cancellationToken)
    {
        var cookies = new CookieContainer();
        cookies.Add(baseAddress, new Cookie("aspirechat_owner", ownerId));
        var socket = new ClientWebSocket { Options = { Cookies = cookies } };
        await socket.ConnectAsync(new Uri($"ws://{baseAddress.Authority}/ws"), cancellationToken);
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        return new ChatSocketClient(socket, http);
    }

    public static string NewOwner() => ConversationIds.New();

    public Task SendMessageAsync(string content, string? conversationId, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?>
        {
            ["type"] = "message",
            ["content"] = content,
            ["conversationId"] = conversationId,
        });
        return _socket.SendAsync(json, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
    }

    /// <summary>The next frame, or null when none comes within <paramref name="quietFor"/>.</summary>
    public async Task<JsonElement?> ReceiveAsync(TimeSpan quietFor, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(quietFor);
        try
        {
            return await _frames.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Frames up to and including the reply's end, or an error that ends the message without a reply.</summary>
    public async Task<List<JsonElement>> ReceiveReplyAsync(CancellationToken cancellationToken, List<JsonElement>? frames = null)
    {
        frames ??= [];
        while (true)
        {
            var frame = await ReceiveAsync(TimeSpan.FromSeconds(20), cancellationToken)
                ?? throw new TimeoutException($"No frame within 20 s; got {frames.Count}: {string.Join(", ", frames.Select(f => Type(f)))}");
            frames.Add(frame);
            var type = Type(frame);
            if (type == "end" || (type == "error" && !frames.Any(f => Type(f) == "start")))
            {
                return frames;
            }
        }
    }

    public static string? Type(JsonElement frame) => frame.GetProperty("type").GetString();

    /// <summary>The reply's text: its chunks in seq order, which must run 1..n without gaps.</summary>
    public static string ReplyText(IEnumerable<JsonElement> frames)
    {
        var chunks = frames.Where(f => Type(f) == "chunk").ToList();
        Assert.Equal(Enumerable.Range(1, chunks.Count), chunks.Select(c => c.GetProperty("seq").GetInt32()));
        return string.Concat(chunks.Select(c => c.GetProperty("content").GetString()));
    }

    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync(path, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception)
            {
                // Closing is a courtesy.
            }
        }

        _socket.Dispose();
        await _receiveLoop;
        Http.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    _frames.Writer.TryWrite(JsonDocument.Parse(message.ToArray()).RootElement.Clone());
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            // The socket closed under us.
        }

        _frames.Writer.TryComplete();
    }
}

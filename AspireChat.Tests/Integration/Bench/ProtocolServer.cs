using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.Tests.Integration.Bench;

/// <summary>
/// A tiny stand-in for ChatApi's <c>/ws</c>: answers each <c>message</c> frame with <c>start</c>, a fixed number of
/// <c>chunk</c>s and <c>end</c>, so the load generator can be tested without the real service; or misbehaves as asked.
/// </summary>
internal sealed class ProtocolServer : IAsyncDisposable
{
    /// <summary>How the server answers a message.</summary>
    public enum Behaviour
    {
        Reply,
        /// <summary>Every reply skips seq 2.</summary>
        SkipSeq,
        /// <summary>Every message gets a <c>rate_limited</c> error and no reply.</summary>
        Reject,
        /// <summary>Every frame is sent as two WebSocket frames (a text frame and a continuation).</summary>
        Fragmented,
        /// <summary>Each chunk carries 70,000 characters: frames with the 64-bit length.</summary>
        Large,
        /// <summary>After two chunks the server closes the socket with 1011 and a reason.</summary>
        CloseMidReply,
        /// <summary>Start, one chunk, then nothing: the client must give up.</summary>
        Silent,
    }

    private readonly WebApplication _app;

    private ProtocolServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static async Task<ProtocolServer> StartAsync(int chunksPerReply, CancellationToken cancellationToken, Behaviour behaviour = Behaviour.Reply, TimeSpan? keepAlive = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/ws", async context =>
        {
            // With keepAlive the server pings, and closes a client that does not answer within the same time.
            using var socket = await context.WebSockets.AcceptWebSocketAsync(keepAlive is { } interval
                ? new WebSocketAcceptContext { KeepAliveInterval = interval, KeepAliveTimeout = interval }
                : new WebSocketAcceptContext());
            await ServeAsync(socket, chunksPerReply, behaviour, context.RequestAborted);
        });
        await app.StartAsync(cancellationToken);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new ProtocolServer(app, new UriBuilder(address) { Scheme = "ws", Path = "/ws" }.Uri);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task ServeAsync(WebSocket socket, int chunks, Behaviour behaviour, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var turn = 0;
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                using var frame = JsonDocument.Parse(buffer.AsMemory(0, received.Count));
                var conversationId = frame.RootElement.TryGetProperty("conversationId", out var id) ? id.GetString()! : $"conv{++turn}";
                if (behaviour == Behaviour.Reject)
                {
                    await SendAsync(socket, $$"""{"type":"error","code":"rate_limited","message":"slow down","retryAfterMs":100}""", behaviour, cancellationToken);
                    continue;
                }

                await SendAsync(socket, $$"""{"type":"start","conversationId":"{{conversationId}}","messageId":"m","content":""}""", behaviour, cancellationToken);
                for (var seq = 1; seq <= chunks; seq++)
                {
                    if (behaviour == Behaviour.CloseMidReply && seq == 3)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.InternalServerError, "boom", cancellationToken);
                        return;
                    }

                    if (behaviour == Behaviour.Silent && seq == 2)
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }

                    var sent = behaviour == Behaviour.SkipSeq && seq > 1 ? seq + 1 : seq;
                    var content = behaviour == Behaviour.Large ? new string('x', 70_000) : $"tok{seq - 1} ";
                    await SendAsync(socket, $$"""{"type":"chunk","conversationId":"{{conversationId}}","messageId":"m","seq":{{sent}},"content":"{{content}}"}""", behaviour, cancellationToken);
                }

                await SendAsync(socket, $$"""{"type":"end","conversationId":"{{conversationId}}","messageId":"m","finishReason":"stop","content":""}""", behaviour, cancellationToken);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // The client aborted: the load generator tears sockets down without a close handshake.
        }
    }

    private static async Task SendAsync(WebSocket socket, string frame, Behaviour behaviour, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        if (behaviour == Behaviour.Fragmented)
        {
            await socket.SendAsync(bytes.AsMemory(0, bytes.Length / 2), WebSocketMessageType.Text, endOfMessage: false, cancellationToken);
            await socket.SendAsync(bytes.AsMemory(bytes.Length / 2), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            return;
        }

        await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
    }
}

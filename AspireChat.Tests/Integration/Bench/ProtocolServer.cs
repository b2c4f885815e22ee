using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
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
    }

    private readonly WebApplication _app;

    private ProtocolServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static async Task<ProtocolServer> StartAsync(int chunksPerReply, CancellationToken cancellationToken, Behaviour behaviour = Behaviour.Reply)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/ws", async context =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
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
                    await SendAsync(socket, $$"""{"type":"error","code":"rate_limited","message":"slow down","retryAfterMs":100}""", cancellationToken);
                    continue;
                }

                await SendAsync(socket, $$"""{"type":"start","conversationId":"{{conversationId}}","messageId":"m","content":""}""", cancellationToken);
                for (var seq = 1; seq <= chunks; seq++)
                {
                    var sent = behaviour == Behaviour.SkipSeq && seq > 1 ? seq + 1 : seq;
                    await SendAsync(socket, $$"""{"type":"chunk","conversationId":"{{conversationId}}","messageId":"m","seq":{{sent}},"content":"tok{{seq - 1}} "}""", cancellationToken);
                }

                await SendAsync(socket, $$"""{"type":"end","conversationId":"{{conversationId}}","messageId":"m","finishReason":"stop","content":""}""", cancellationToken);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // The client aborted: the load generator tears sockets down without a close handshake.
        }
    }

    private static Task SendAsync(WebSocket socket, string frame, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
}

using System.Net.WebSockets;
using System.Text.Json;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Owners;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>Accepts a <c>/ws</c> request: checks it, completes the handshake and serves the socket until it ends.</summary>
internal sealed class ChatSocketAcceptor(
    ReplyCoordinator coordinator,
    IReplyBroker broker,
    BranchSwitcher switcher,
    IConversationStore store,
    ConnectionCounter connections,
    IOptions<ChatServiceOptions> options,
    ILogger<ChatSocketConnection> logger,
    TimeProvider timeProvider)
{
    /// <summary>How long a client that holds too many sockets is told to wait.</summary>
    private static readonly TimeSpan s_connectionRetryAfter = TimeSpan.FromSeconds(5);

    public async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("This endpoint speaks WebSocket only.", context.RequestAborted);
            return;
        }

        var settings = options.Value;
        if (!OriginPolicy.IsAllowed(context.Request, settings.AllowedOrigins))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        // Both before the handshake completes: the cookie rides on the 101 response, and a client that has
        // its 101 already holds its slot, so its next socket is counted against it.
        var owner = Owner.FromRequest(context);
        var admitted = connections.TryAcquire(owner.Id, settings.Limits.MaxConnectionsPerClient);
        try
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = settings.KeepAliveInterval,
                KeepAliveTimeout = settings.KeepAliveTimeout,
            });

            if (!admitted)
            {
                await RefuseAsync(socket);
                return;
            }

            ReplyTelemetry.OpenConnections.Add(1);
            try
            {
                using var connection = new ChatSocketConnection(socket, settings, logger, coordinator.Drained, context.RequestAborted);
                await connection.RunAsync(new ClientFrameDispatcher(owner.Id, connection, coordinator, broker, switcher, store, settings, timeProvider, logger));
            }
            finally
            {
                ReplyTelemetry.OpenConnections.Add(-1);
            }
        }
        finally
        {
            if (admitted)
            {
                connections.Release(owner.Id);
            }
        }
    }

    /// <summary>A browser cannot read a refused handshake's status, so accept, say why in a frame, and close.</summary>
    private static async Task RefuseAsync(WebSocket socket)
    {
        var error = new ErrorFrame(ErrorCodes.TooManyConnections, "Too many open connections from this browser; close a tab and try again.")
        {
            RetryAfterMs = (long)s_connectionRetryAfter.TotalMilliseconds,
        };
        var json = JsonSerializer.SerializeToUtf8Bytes<ServerFrame>(error, ProtocolJsonContext.Default.ServerFrame);
        await socket.SendAsync(json, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "Too many connections.", CancellationToken.None);
    }
}

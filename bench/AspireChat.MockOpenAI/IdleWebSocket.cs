using System.Net.WebSockets;

namespace AspireChat.MockOpenAI;

/// <summary>
/// <c>GET /ws</c>: a bare WebSocket that is held open and ignores what it receives. It is the floor of an idle
/// WebSocket's memory in ASP.NET Core, the baseline of ChatApi's figure in the benchmarks.
/// </summary>
internal static class IdleWebSocket
{
    public static async Task HoldAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        // A small buffer, as a lean server would keep for a peer that rarely speaks.
        var buffer = new byte[1024];
        try
        {
            while ((await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // The client went away without a close handshake, as the load generator's teardown does.
        }
    }
}

namespace AspireChat.ChatApi.WebSockets;

/// <summary><c>GET /ws</c>: the chat WebSocket (docs/protocol.md).</summary>
public static class ChatSocketEndpoint
{
    public static IEndpointConventionBuilder MapChatSocket(this IEndpointRouteBuilder app)
    {
        // The acceptor's services are singletons, resolved once here rather than bound as handler parameters:
        // binding them would give each request a service scope, which a WebSocket's request keeps for the
        // socket's whole life (docs/benchmarks.md, memory per idle WebSocket).
        var acceptor = ActivatorUtilities.CreateInstance<ChatSocketAcceptor>(app.ServiceProvider);
        return app.Map("/ws", acceptor.AcceptAsync)
            .WithName("ChatSocket")
            .WithSummary("The chat WebSocket: message and stop in; start, chunk, end and error out.");
    }
}

using System.Diagnostics;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Owners;
using AspireChat.ChatApi.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AspireChat.ChatApi.Apis;

/// <summary><c>POST /api/chat</c>: the same reply as the WebSocket, as server-sent events, for networks that block WebSockets.</summary>
public static class ChatStreamApi
{
    public static RouteHandlerBuilder MapChatStreamApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/chat", StreamReplyAsync)
            .WithTags("Chat")
            .WithName("StreamReply")
            .WithSummary("Sends a message and streams the reply as text/event-stream.")
            .RequireRateLimiting(ChatRateLimits.ChatPolicy);

    public static async Task<Results<ServerSentEventsResult<ServerFrame>, ValidationProblem, ProblemHttpResult>> StreamReplyAsync(
        ChatRequest request, Owner owner, ReplyCoordinator coordinator, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Content))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["content"] = ["A message needs non-empty content."] }, title: ErrorCodes.EmptyContent);
        }

        if (request.Id is { Length: > ClientFrame.MaxIdLength })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [$"At most {ClientFrame.MaxIdLength} characters."] }, title: ErrorCodes.InvalidFrame);
        }

        var observer = new EventStreamObserver();
        // The request's own span is parented on the traceparent header; the reply goes under it.
        var reply = coordinator.Begin(new ChatTurnRequest(owner.Id, request.Content, request.ConversationId, request.Id, Activity.Current?.Id), observer);
        if (await reply.Ready.WaitAsync(cancellationToken) is { } error)
        {
            return TypedResults.Problem(title: error.Code, detail: error.Message, statusCode: error.Code switch
            {
                ErrorCodes.NotFound => StatusCodes.Status404NotFound,
                ErrorCodes.ConversationBusy => StatusCodes.Status409Conflict,
                ErrorCodes.StoreUnavailable => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            });
        }

        return TypedResults.ServerSentEvents(observer.ReadAllAsync(reply, cancellationToken));
    }

    /// <summary>Queues a reply's frames for one event-stream response, until its end.</summary>
    private sealed class EventStreamObserver : IReplyObserver
    {
        private readonly Channel<ServerFrame> _frames = Channel.CreateUnbounded<ServerFrame>(new UnboundedChannelOptions { SingleReader = true });

        public bool TryDeliver(ServerFrame frame) => _frames.Writer.TryWrite(frame);

        public async IAsyncEnumerable<SseItem<ServerFrame>> ReadAllAsync(LiveReply reply, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var frame in _frames.Reader.ReadAllAsync(cancellationToken))
                {
                    yield return new SseItem<ServerFrame>(frame, EventType(frame));
                    if (frame is EndFrame)
                    {
                        yield break;
                    }
                }
            }
            finally
            {
                // A client that goes away leaves the reply running: it is saved all the same.
                reply.Detach(this, disconnected: !reply.HasEnded);
                _frames.Writer.TryComplete();
            }
        }

        private static string EventType(ServerFrame frame) => frame switch
        {
            StartFrame => "start",
            ChunkFrame => "chunk",
            EndFrame => "end",
            _ => "error",
        };
    }
}

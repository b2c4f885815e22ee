using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Owners;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AspireChat.ChatApi.Apis;

/// <summary><c>/api/conversations</c>: the caller's conversations. Another owner's look like missing ones.</summary>
public static class ConversationsApi
{
    public static RouteGroupBuilder MapConversationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/conversations")
            .WithTags("Conversations")
            .RequireRateLimiting(ChatRateLimits.ApiPolicy);

        api.MapGet("/", ListConversationsAsync)
            .WithName("ListConversations")
            .WithSummary("The caller's conversations, most recently updated first.");
        api.MapGet("/{id}", GetConversationAsync)
            .WithName("GetConversation")
            .WithSummary("One conversation with its messages.");
        api.MapDelete("/{id}", DeleteConversationAsync)
            .WithName("DeleteConversation")
            .WithSummary("Deletes a conversation, stopping its reply if one is streaming.");
        return api;
    }

    public static async Task<Results<Ok<IReadOnlyList<ConversationSummary>>, ProblemHttpResult>> ListConversationsAsync(
        Owner owner, IConversationStore store, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await store.ListAsync(owner.Id, cancellationToken));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return StoreUnavailable();
        }
    }

    public static async Task<Results<Ok<Conversation>, NotFound, ProblemHttpResult>> GetConversationAsync(
        string id, Owner owner, IConversationStore store, IReplyBroker broker, CancellationToken cancellationToken)
    {
        try
        {
            if (!ConversationIds.IsWellFormed(id) || await store.GetAsync(owner.Id, id, cancellationToken) is not { } conversation)
            {
                return TypedResults.NotFound();
            }

            // A reply whose instance died is saved (as interrupted) on first sight, not only when watched.
            if (await broker.FinalizeAbandonedReplyAsync(id, cancellationToken))
            {
                conversation = await store.GetAsync(owner.Id, id, cancellationToken) ?? conversation;
            }

            return TypedResults.Ok(conversation);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return StoreUnavailable();
        }
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteConversationAsync(
        string id, Owner owner, IConversationStore store, ReplyCoordinator coordinator, CancellationToken cancellationToken)
    {
        try
        {
            if (!ConversationIds.IsWellFormed(id) || !await store.DeleteAsync(owner.Id, id, cancellationToken))
            {
                return TypedResults.NotFound();
            }

            coordinator.Stop(owner.Id, id);
            return TypedResults.NoContent();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return StoreUnavailable();
        }
    }

    internal static ProblemHttpResult StoreUnavailable() => TypedResults.Problem(
        title: "store_unavailable",
        detail: "The conversation store is unavailable. Try again shortly.",
        statusCode: StatusCodes.Status503ServiceUnavailable);
}

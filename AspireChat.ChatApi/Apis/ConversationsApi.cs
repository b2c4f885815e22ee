using System.Text;
using System.Text.Json;
using AspireChat.ChatApi.Replies;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Owners;
using AspireChat.ChatApi.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

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
        api.MapPatch("/{id}", RenameConversationAsync)
            .WithName("RenameConversation")
            .WithSummary("Renames a conversation; the title is trimmed and cut to Conversations:MaxTitleLength.");
        api.MapGet("/{id}/export", ExportConversationAsync)
            .WithName("ExportConversation")
            .WithSummary("The conversation as a Markdown or JSON file: the active branch, or every branch with branches=all.");
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
            return await LoadAsync(id, owner, store, broker, cancellationToken) is { } conversation
                ? TypedResults.Ok(conversation)
                : TypedResults.NotFound();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return StoreUnavailable();
        }
    }

    public static async Task<Results<Ok<RenamedConversation>, NotFound, ValidationProblem, ProblemHttpResult>> RenameConversationAsync(
        string id, RenameRequest request, Owner owner, IConversationStore store, IOptions<ConversationOptions> options, CancellationToken cancellationToken)
    {
        var title = CleanTitle(request?.Title, options.Value.MaxTitleLength);
        if (title.Length == 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["title"] = ["A title needs at least one visible character."] }, title: "invalid_title");
        }

        try
        {
            return ConversationIds.IsWellFormed(id) && await store.RenameAsync(owner.Id, id, title, cancellationToken)
                ? TypedResults.Ok(new RenamedConversation(id, title))
                : TypedResults.NotFound();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return StoreUnavailable();
        }
    }

    public static async Task<Results<FileContentHttpResult, NotFound, ValidationProblem, ProblemHttpResult>> ExportConversationAsync(
        string id, string? format, string? branches, Owner owner, IConversationStore store, IReplyBroker broker, CancellationToken cancellationToken)
    {
        format ??= "md";
        branches ??= ConversationExport.ActiveBranch;
        if (format is not ("md" or "json") || branches is not (ConversationExport.ActiveBranch or ConversationExport.AllBranches))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [format is "md" or "json" ? "branches" : "format"] = [format is "md" or "json" ? "\"active\" (the default) or \"all\"." : "\"md\" (the default) or \"json\"."],
            }, title: ErrorCodes.InvalidFrame);
        }

        try
        {
            if (await LoadAsync(id, owner, store, broker, cancellationToken) is not { } conversation)
            {
                return TypedResults.NotFound();
            }

            var export = ConversationExport.From(conversation, branches == ConversationExport.AllBranches);
            return format == "json"
                ? TypedResults.File(JsonSerializer.SerializeToUtf8Bytes(export, ProtocolJsonContext.Default.ConversationExport), "application/json", $"conversation-{id}.json")
                : TypedResults.File(Encoding.UTF8.GetBytes(export.ToMarkdown()), "text/markdown; charset=utf-8", $"conversation-{id}.md");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return StoreUnavailable();
        }
    }

    /// <summary>The owner's conversation, or null. A reply whose instance died is saved (as interrupted) on first sight, not only when watched.</summary>
    private static async Task<Conversation?> LoadAsync(string id, Owner owner, IConversationStore store, IReplyBroker broker, CancellationToken cancellationToken)
    {
        if (!ConversationIds.IsWellFormed(id) || await store.GetAsync(owner.Id, id, cancellationToken) is not { } conversation)
        {
            return null;
        }

        return await broker.FinalizeAbandonedReplyAsync(id, cancellationToken)
            ? await store.GetAsync(owner.Id, id, cancellationToken) ?? conversation
            : conversation;
    }

    /// <summary>A title as stored: one line, no control characters, trimmed, at most <paramref name="length"/> characters (never half a surrogate pair).</summary>
    internal static string CleanTitle(string? title, int length)
    {
        if (title is null)
        {
            return "";
        }

        var line = new string([.. title.ReplaceLineEndings(" ").Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
        if (line.Length <= length)
        {
            return line;
        }

        var cut = char.IsHighSurrogate(line[length - 1]) ? length - 1 : length;
        return line[..cut].TrimEnd();
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

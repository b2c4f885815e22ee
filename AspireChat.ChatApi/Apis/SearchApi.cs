using AspireChat.ChatApi.Owners;
using AspireChat.ChatApi.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AspireChat.ChatApi.Apis;

/// <summary><c>/api/search</c>: the caller's own conversations, by word (docs/protocol.md, "Search").</summary>
public static class SearchApi
{
    /// <summary>The problem title of a query refused before any search.</summary>
    public const string InvalidQuery = "invalid_query";

    public static RouteGroupBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/search")
            .WithTags("Search")
            .RequireRateLimiting(ChatRateLimits.ApiPolicy);

        api.MapGet("/", SearchAsync)
            .WithName("Search")
            .WithSummary("The caller's messages and titles that hold every word of q, newest first.");
        return api;
    }

    public static async Task<Results<Ok<SearchResponse>, ValidationProblem, ProblemHttpResult>> SearchAsync(
        string? q, Owner owner, ConversationSearch search, ILogger<ConversationSearch> logger, CancellationToken cancellationToken)
    {
        if (!SearchQuery.TryParse(q, out var query, out var error))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["q"] = [error] }, title: InvalidQuery);
        }

        try
        {
            return TypedResults.Ok(await search.SearchAsync(owner.Id, query, cancellationToken));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            SearchLog.SearchFailed(logger, exception);
            return ConversationsApi.StoreUnavailable();
        }
    }
}

using System.Globalization;
using AspireChat.ChatApi.Owners;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Shares;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Apis;

/// <summary>
/// Read-only share links (docs/protocol.md, "Shares"): the owner makes, lists and revokes them; anyone with
/// the link reads one, with no cookie, and may copy it into a conversation of their own. A share that does
/// not exist, expired, was revoked or has an id of the wrong shape is 404, all alike.
/// </summary>
public static class SharesApi
{
    public static RouteGroupBuilder MapSharesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api")
            .WithTags("Shares")
            .RequireRateLimiting(ChatRateLimits.ApiPolicy);

        api.MapPost("/conversations/{id}/share", CreateShareAsync)
            .WithName("ShareConversation")
            .WithSummary("Shares a snapshot of the conversation's active branch; rate-limited by Shares:PerHour.");
        api.MapGet("/shares", ListSharesAsync)
            .WithName("ListShares")
            .WithSummary("The caller's shares that can still be opened, newest first.");
        api.MapGet("/shares/{shareId}", GetShareAsync)
            .WithName("GetShare")
            .WithSummary("A share's title and messages; needs no cookie.");
        api.MapDelete("/shares/{shareId}", RevokeShareAsync)
            .WithName("RevokeShare")
            .WithSummary("Revokes one of the caller's shares: it is 404 from then on, on every replica.");
        api.MapPost("/shares/{shareId}/copy", CopyShareAsync)
            .WithName("CopyShare")
            .WithSummary("Copies a share into a new conversation of the caller's.");
        return api;
    }

    public static async Task<Results<Created<ShareCreated>, NotFound, ProblemHttpResult>> CreateShareAsync(
        string id, Owner owner, ConversationSharing sharing, IOptions<ShareOptions> options, HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            if (await sharing.ShareAsync(owner.Id, id, cancellationToken) is not { } outcome)
            {
                return TypedResults.NotFound();
            }

            if (outcome.ShareId is not { } shareId)
            {
                var wait = outcome.RetryAfter ?? ShareOptions.Window;
                context.Response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                return TypedResults.Problem(
                    title: ErrorCodes.RateLimited,
                    detail: $"At most {options.Value.PerHour} shares an hour; try again in {Math.Ceiling(wait.TotalMinutes):0} min.",
                    statusCode: StatusCodes.Status429TooManyRequests);
            }

            return TypedResults.Created($"/api/shares/{shareId}", new ShareCreated(shareId, PageUrl(context.Request, shareId), outcome.ExpiresAt));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return ConversationsApi.StoreUnavailable();
        }
    }

    public static async Task<Results<Ok<IReadOnlyList<ShareSummary>>, ProblemHttpResult>> ListSharesAsync(
        Owner owner, IShareStore store, HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            var shares = await store.ListAsync(owner.Id, cancellationToken);
            IReadOnlyList<ShareSummary> summaries = [.. shares.Select(s => new ShareSummary(
                s.ShareId, PageUrl(context.Request, s.ShareId), s.Listing.ConversationId, s.Listing.Title, s.Listing.CreatedAt, s.Listing.ExpiresAt))];
            return TypedResults.Ok(summaries);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return ConversationsApi.StoreUnavailable();
        }
    }

    /// <summary>The share as stored: its JSON is the answer, so opening a share is one read. No owner cookie is needed or set.</summary>
    public static async Task<Results<FileContentHttpResult, NotFound, ProblemHttpResult>> GetShareAsync(
        string shareId, IShareStore store, HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Never indexed by search engines, never kept by a cache: a revoked share must be gone at once.
        context.Response.Headers["X-Robots-Tag"] = "noindex, nofollow";
        context.Response.Headers.CacheControl = "no-store";
        try
        {
            return ShareIds.IsWellFormed(shareId) && await store.GetAsync(shareId, cancellationToken) is { } json
                ? TypedResults.File(json, "application/json")
                : TypedResults.NotFound();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return ConversationsApi.StoreUnavailable();
        }
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> RevokeShareAsync(
        string shareId, Owner owner, IShareStore store, CancellationToken cancellationToken)
    {
        try
        {
            return ShareIds.IsWellFormed(shareId) && await store.RevokeAsync(owner.Id, shareId, cancellationToken)
                ? TypedResults.NoContent()
                : TypedResults.NotFound();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return ConversationsApi.StoreUnavailable();
        }
    }

    public static async Task<Results<Created<CopiedConversation>, NotFound, ProblemHttpResult>> CopyShareAsync(
        string shareId, Owner owner, ConversationSharing sharing, CancellationToken cancellationToken)
    {
        try
        {
            return await sharing.CopyAsync(owner.Id, shareId, cancellationToken) is { } conversationId
                ? TypedResults.Created($"/api/conversations/{conversationId}", new CopiedConversation(conversationId))
                : TypedResults.NotFound();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return ConversationsApi.StoreUnavailable();
        }
    }

    /// <summary>
    /// The share page's address on the origin the browser used: behind Web's proxy, the one its
    /// X-Forwarded-Proto and X-Forwarded-Host name (the first, when proxies are chained).
    /// </summary>
    internal static string PageUrl(HttpRequest request, string shareId)
    {
        var scheme = First(request.Headers["X-Forwarded-Proto"]) ?? request.Scheme;
        var host = First(request.Headers["X-Forwarded-Host"]) ?? request.Host.Value;
        return $"{scheme}://{host}/s/{shareId}";

        static string? First(Microsoft.Extensions.Primitives.StringValues values) =>
            values.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
    }
}

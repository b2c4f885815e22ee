using System.Globalization;
using System.Threading.RateLimiting;
using AspireChat.ChatApi.Owners;

namespace AspireChat.ChatApi.Apis;

/// <summary>ASP.NET Core's rate limiter for the HTTP endpoints, partitioned by owner cookie (else address).</summary>
public static class ChatRateLimits
{
    public const string ApiPolicy = "api";
    public const string ChatPolicy = "chat";

    public static IServiceCollection AddChatRateLimits(this IServiceCollection services, ChatLimits limits)
    {
        services.AddRateLimiter(rateLimiter =>
        {
            rateLimiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            rateLimiter.OnRejected = static (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }

                return ValueTask.CompletedTask;
            };
            rateLimiter.AddPolicy(ApiPolicy, context => RateLimitPartition.GetFixedWindowLimiter(ClientKey(context), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = 240,
                Window = TimeSpan.FromMinutes(1),
            }));
            // The same budget a WebSocket connection has for its messages.
            rateLimiter.AddPolicy(ChatPolicy, context => RateLimitPartition.GetTokenBucketLimiter(ClientKey(context), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limits.MessageBurst,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1) / limits.MessagesPerMinute,
            }));
        });
        return services;
    }

    private static string ClientKey(HttpContext context) =>
        context.Request.Cookies.TryGetValue(Owner.CookieName, out var owner) && owner is not null
            ? owner
            : context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}

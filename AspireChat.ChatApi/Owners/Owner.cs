using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Owners;

/// <summary>
/// The anonymous owner of a browser's conversations: 128 random bits in an HttpOnly cookie,
/// issued on first contact. Binds as a minimal-API parameter, so every endpoint that takes an
/// <see cref="Owner"/> has one (and issues the cookie) before it runs.
/// </summary>
public sealed record Owner(string Id)
{
    public const string CookieName = "aspirechat_owner";

    public static ValueTask<Owner?> BindAsync(HttpContext context) => ValueTask.FromResult<Owner?>(FromRequest(context));

    /// <summary>The request's owner; a new one, with its cookie on the response, when the request has none.</summary>
    public static Owner FromRequest(HttpContext context)
    {
        if (context.Request.Cookies.TryGetValue(CookieName, out var id) && ConversationIds.IsWellFormed(id))
        {
            return new Owner(id);
        }

        var owner = new Owner(ConversationIds.New());
        context.Response.Cookies.Append(CookieName, owner.Id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            // Behind Web's proxy ChatApi may see plain http; the browser saw https if the proxy says so.
            Secure = context.Request.IsHttps || string.Equals(context.Request.Headers["X-Forwarded-Proto"], "https", StringComparison.OrdinalIgnoreCase),
            Path = "/",
            MaxAge = TimeSpan.FromDays(365),
            IsEssential = true,
        });
        return owner;
    }
}

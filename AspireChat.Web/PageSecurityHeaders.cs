namespace AspireChat.Web;

/// <summary>
/// Headers that keep the page's promise that nothing but its own scripts ever runs: a strict
/// Content-Security-Policy (no inline script or style, no third-party origin), no MIME sniffing,
/// no framing, and no referrer sent elsewhere.
/// </summary>
public static class PageSecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'";

    public static IApplicationBuilder UsePageSecurityHeaders(this IApplicationBuilder app) => app.Use(static (context, next) =>
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        return next(context);
    });
}

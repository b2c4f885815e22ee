using Microsoft.Extensions.Options;

namespace AspireChat.Web.Proxy;

/// <summary>
/// Refuses a WebSocket handshake from another site's page (cross-site WebSocket hijacking): the
/// browser sends the owner cookie with any handshake, so only the page's own origin may open one.
/// </summary>
public sealed class OriginPolicy(IOptions<ChatProxyOptions> options)
{
    private readonly HashSet<string> _allowed = new(
        options.Value.AllowedOrigins.Select(origin => origin.TrimEnd('/')),
        StringComparer.OrdinalIgnoreCase);

    public bool Allows(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            // Not a browser: it cannot be made to send someone else's cookie.
            return true;
        }

        if (_allowed.Contains(origin))
        {
            return true;
        }

        // Web faces the internet itself, so it compares with the Host the browser used, never X-Forwarded-Host.
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}

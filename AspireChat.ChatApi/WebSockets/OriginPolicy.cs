namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// Refuses cross-site WebSocket hijacking: a browser always sends <c>Origin</c> on a handshake,
/// and only the page's own origin and the configured ones may open a socket with its cookie.
/// </summary>
public static class OriginPolicy
{
    public static bool IsAllowed(HttpRequest request, IReadOnlyCollection<string> allowedOrigins)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            // Not a browser: it has no ambient cookies for another site to abuse.
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var originUri))
        {
            return false;
        }

        // Behind Web's proxy the browser's host arrives as X-Forwarded-Host.
        var host = request.Headers["X-Forwarded-Host"].FirstOrDefault() ?? request.Host.Value;
        return string.Equals(originUri.Authority, host, StringComparison.OrdinalIgnoreCase)
            || allowedOrigins.Any(allowed => string.Equals(allowed.TrimEnd('/'), origin.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
    }
}

using Microsoft.Extensions.Primitives;

namespace AspireChat.Web.Proxy;

/// <summary>The header rules both relays share.</summary>
internal static class ProxyHeaders
{
    /// <summary>
    /// Headers that describe one connection, not the message (RFC 9110 §7.6.1), so a proxy must not
    /// pass them on. Host is rewritten by HttpClient; trace headers are injected by HttpClient for the
    /// proxy's own span, so the incoming ones are not copied over them.
    /// </summary>
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
        "traceparent", "tracestate",
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
    };

    public static bool IsForwarded(string name, StringValues connectionHeader)
    {
        if (NotForwarded.Contains(name))
        {
            return false;
        }

        // Connection may name more headers that only concern this hop.
        foreach (var value in connectionHeader)
        {
            foreach (var token in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (string.Equals(token, name, StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>X-Forwarded-For with the browser's address appended to what an earlier proxy said.</summary>
    public static string ForwardedFor(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress?.ToString();
        var earlier = context.Request.Headers["X-Forwarded-For"].ToString();
        return (earlier.Length, remote) switch
        {
            (_, null) => earlier,
            (0, _) => remote,
            _ => earlier + ", " + remote,
        };
    }

    /// <summary>The W3C trace headers to send upstream when no local activity exists to inject its own.</summary>
    public static IEnumerable<KeyValuePair<string, string>> IncomingTraceContext(HttpRequest request)
    {
        foreach (var name in (string[])["traceparent", "tracestate"])
        {
            var value = request.Headers[name].ToString();
            if (value.Length > 0)
            {
                yield return new(name, value);
            }
        }
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace AspireChat.Web;

/// <summary>
/// Headers that keep the page's promise that nothing but its own scripts ever runs: a strict
/// Content-Security-Policy (no inline script or style, no third-party origin), no MIME sniffing,
/// no framing, and no referrer sent elsewhere. The one inline script is the page's import map
/// (it maps the OpenTelemetry SDK's bare module names to the files Web serves): it is allowed by
/// its SHA-256 hash, taken from index.html as Web starts, never by <c>'unsafe-inline'</c>.
/// </summary>
public static partial class PageSecurityHeaders
{
    /// <summary>The policy, allowing the given inline scripts by hash (each <c>'sha256-…'</c>).</summary>
    public static string ContentSecurityPolicy(IEnumerable<string> scriptHashes) =>
        $"default-src 'self'; script-src 'self'{string.Concat(scriptHashes.Select(hash => " " + hash))}; style-src 'self'; connect-src 'self'; "
        + "img-src 'self' data:; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'";

    /// <summary>The CSP source of every inline <c>&lt;script type="importmap"&gt;</c> in <paramref name="html"/>, hashed as the browser hashes it.</summary>
    public static IReadOnlyList<string> ImportMapHashes(string html) =>
        [.. ImportMap().Matches(html).Select(match => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(match.Groups["body"].Value)))}'")];

    public static WebApplication UsePageSecurityHeaders(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var page = app.Environment.WebRootFileProvider.GetFileInfo("index.html");
        IReadOnlyList<string> hashes = [];
        if (page.Exists)
        {
            using var reader = new StreamReader(page.CreateReadStream(), Encoding.UTF8);
            hashes = ImportMapHashes(reader.ReadToEnd());
        }

        var policy = ContentSecurityPolicy(hashes);
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            return next(context);
        });
        return app;
    }

    [GeneratedRegex("""<script type="importmap">(?<body>.*?)</script>""", RegexOptions.Singleline)]
    private static partial Regex ImportMap();
}

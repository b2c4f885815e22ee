using System.Net;
using System.Text;
using System.Text.Json;
using AspireChat.Web.Proxy;
using Microsoft.Extensions.FileProviders;

namespace AspireChat.Web.Shares;

/// <summary>
/// <c>GET /s/{shareId}</c>: a share's read-only page. Web asks ChatApi for the share (one read of one Redis key
/// there) and answers the page with the share's JSON inside it, in a <c>script type="application/json"</c> block
/// that nothing runs (the page's own module reads it as data, under the same Content-Security-Policy as the chat).
/// A share that does not exist, expired or was revoked answers 404, page and API alike. Search engines are told
/// to keep out, and nothing is cached, so a revoked link is gone at once.
/// </summary>
public static class SharePage
{
    /// <summary>The HttpClient that reads shares from ChatApi (service discovery, the standard resilience handler).</summary>
    public const string HttpClientName = "chatapi";

    /// <summary>The page, in wwwroot: the data goes where this marker is.</summary>
    public const string TemplatePath = "share.html";

    private const string DataMarker = "<!--share-data-->";

    public static TBuilder AddSharePage<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpClient(HttpClientName, http => http.BaseAddress = new Uri(ChatProxyExtensions.ChatApiAddress));
        return builder;
    }

    public static WebApplication MapSharePage(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/s/{shareId}", RenderAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task RenderAsync(string shareId, IHttpClientFactory clients, IWebHostEnvironment environment, HttpContext context)
    {
        var response = context.Response;
        response.Headers["X-Robots-Tag"] = "noindex, nofollow";
        response.Headers.CacheControl = "no-store";
        var template = await ReadTemplateAsync(environment.WebRootFileProvider, context.RequestAborted);

        using var chatApi = clients.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/shares/{Uri.EscapeDataString(shareId)}");
        // A reader who has an owner cookie is counted by ChatApi's limits as themselves, not as Web.
        if (context.Request.Headers.Cookie is { Count: > 0 } cookie)
        {
            request.Headers.TryAddWithoutValidation("Cookie", cookie.ToString());
        }

        HttpStatusCode status;
        byte[] data;
        try
        {
            using var share = await chatApi.SendAsync(request, context.RequestAborted);
            status = share.StatusCode switch
            {
                HttpStatusCode.OK => HttpStatusCode.OK,
                HttpStatusCode.NotFound => HttpStatusCode.NotFound,
                _ => HttpStatusCode.BadGateway,
            };
            data = status == HttpStatusCode.OK
                ? Embed(status, await share.Content.ReadAsByteArrayAsync(context.RequestAborted))
                : Embed(status, null);
        }
        catch (HttpRequestException)
        {
            status = HttpStatusCode.BadGateway;
            data = Embed(status, null);
        }

        response.StatusCode = (int)status;
        response.ContentType = "text/html; charset=utf-8";
        var at = template.IndexOf(DataMarker, StringComparison.Ordinal);
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(template[..at]), context.RequestAborted);
        await response.Body.WriteAsync(data, context.RequestAborted);
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(template[(at + DataMarker.Length)..]), context.RequestAborted);
    }

    /// <summary>
    /// The data block: <c>{"status":200,"share":{…}}</c>. The share is parsed and written again by
    /// System.Text.Json, whose default encoder escapes <c>&lt;</c>, <c>&gt;</c> and <c>&amp;</c>, so no text in
    /// it can close the script element, whatever ChatApi sent.
    /// </summary>
    internal static byte[] Embed(HttpStatusCode status, byte[]? shareJson)
    {
        using var buffer = new MemoryStream();
        buffer.Write("<script type=\"application/json\" id=\"share-data\">"u8);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("status", (int)status);
            if (shareJson is not null)
            {
                using var share = JsonDocument.Parse(shareJson);
                writer.WritePropertyName("share");
                share.RootElement.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        buffer.Write("</script>"u8);
        return buffer.ToArray();
    }

    private static async Task<string> ReadTemplateAsync(IFileProvider files, CancellationToken cancellationToken)
    {
        var file = files.GetFileInfo(TemplatePath);
        await using var stream = file.CreateReadStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken);
    }
}

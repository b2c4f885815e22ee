using System.Buffers;
using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace AspireChat.Web.Proxy;

/// <summary>
/// Forwards one HTTP request to ChatApi and streams the answer back as it arrives: bodies are
/// never buffered, so <c>POST /api/chat</c>'s server-sent events reach the browser event by event.
/// </summary>
public sealed class HttpForwarder(HttpClient http, IOptions<ChatProxyOptions> options, ILogger<HttpForwarder> logger)
{
    public const string HttpClientName = "chatapi";

    private readonly Uri _chatApi = options.Value.ChatApi!;

    public async Task ForwardAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var upstreamRequest = CreateUpstreamRequest(context);
        HttpResponseMessage upstreamResponse;
        try
        {
            upstreamResponse = await http.SendAsync(upstreamRequest, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            Log.ChatApiUnreachable(logger, upstreamRequest.RequestUri!, exception);
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The browser went away before ChatApi answered.
            return;
        }

        using (upstreamResponse)
        {
            CopyResponseHeaders(upstreamResponse, context.Response);
            // Each piece is written and flushed as it comes: no response buffering for event streams.
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            try
            {
                await using var body = await upstreamResponse.Content.ReadAsStreamAsync(cancellationToken);
                await CopyAndFlushAsync(body, context.Response, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The browser closed the response; closing ours tells ChatApi the same.
            }
            catch (Exception exception) when (exception is HttpRequestException or IOException)
            {
                // ChatApi went away mid-body: end the browser's response abruptly too, so it is not taken as complete.
                Log.ChatApiResponseBroken(logger, upstreamRequest.RequestUri!, exception);
                context.Abort();
            }
        }
    }

    private HttpRequestMessage CreateUpstreamRequest(HttpContext context)
    {
        var request = context.Request;
        var upstream = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(_chatApi, request.PathBase + request.Path + request.QueryString));
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            upstream.Content = new StreamContent(request.Body);
        }

        var connection = request.Headers.Connection;
        foreach (var (name, values) in request.Headers)
        {
            if (!ProxyHeaders.IsForwarded(name, connection))
            {
                continue;
            }

            if (!upstream.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                upstream.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        upstream.Headers.TryAddWithoutValidation("X-Forwarded-For", ProxyHeaders.ForwardedFor(context));
        upstream.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        upstream.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        if (Activity.Current is null)
        {
            // Nothing is tracing here, so HttpClient will inject nothing: pass the browser's context through.
            foreach (var (name, value) in ProxyHeaders.IncomingTraceContext(request))
            {
                upstream.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return upstream;
    }

    private static void CopyResponseHeaders(HttpResponseMessage upstream, HttpResponse response)
    {
        response.StatusCode = (int)upstream.StatusCode;
        var connection = upstream.Headers.Connection;
        foreach (var (name, values) in upstream.Headers.Concat(upstream.Content.Headers))
        {
            // Set-Cookie (the owner cookie) is an ordinary header here and passes with all its values.
            if (ProxyHeaders.IsForwarded(name, new([.. connection])))
            {
                response.Headers[name] = values.ToArray();
            }
        }
    }

    private static async Task CopyAndFlushAsync(Stream source, HttpResponse response, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

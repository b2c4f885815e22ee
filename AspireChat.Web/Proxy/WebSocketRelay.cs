using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;

namespace AspireChat.Web.Proxy;

/// <summary>
/// Relays the browser's <c>/ws</c> to ChatApi's: ChatApi's socket is opened first (with the
/// browser's cookie, origin and trace context), so a refusal or an unreachable ChatApi answers the
/// browser's handshake; then frames are pumped both ways as they come, and a close on either side
/// is passed on with its status.
/// </summary>
public sealed class WebSocketRelay(
    OriginPolicy originPolicy,
    IOptions<ChatProxyOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<WebSocketRelay> logger)
{
    /// <summary>A frame this size or smaller is read whole so its traceparent can be rewritten; larger ones stream through.</summary>
    private const int WholeFrameLimit = 64 * 1024;

    /// <summary>How long the second direction may take to finish its close once the first is done.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly ChatProxyOptions _options = options.Value;

    public async Task RelayAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (!originPolicy.Allows(context.Request))
        {
            Log.ForeignOriginRefused(logger, context.Request.Headers.Origin.ToString());
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        using var upstream = CreateUpstreamSocket(context);
        var upstreamUri = UpstreamUri();
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            connectTimeout.CancelAfter(_options.ConnectTimeout);
            await upstream.ConnectAsync(upstreamUri, connectTimeout.Token);
        }
        catch (Exception exception) when (exception is WebSocketException or HttpRequestException or OperationCanceledException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            // ChatApi's own answer (403 for a foreign origin, 429, ...) passes through; no answer at all is a 502.
            var status = upstream.HttpStatusCode is 0 or HttpStatusCode.SwitchingProtocols
                ? StatusCodes.Status502BadGateway
                : (int)upstream.HttpStatusCode;
            Log.ChatApiSocketRefused(logger, upstreamUri, status, exception);
            context.Response.StatusCode = status;
            return;
        }

        // The owner cookie ChatApi set during its handshake rides on the browser's 101.
        if (upstream.HttpResponseHeaders?.TryGetValue("Set-Cookie", out var cookies) == true)
        {
            context.Response.Headers.SetCookie = cookies.ToArray();
        }

        upstream.HttpResponseHeaders = null;
        using var browser = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = _options.KeepAliveInterval,
            KeepAliveTimeout = _options.KeepAliveTimeout,
        });

        await PumpBothWaysAsync(browser, upstream, cancellationToken);
    }

    private Uri UpstreamUri()
    {
        var builder = new UriBuilder(new Uri(_options.ChatApi!, "/ws"));
        builder.Scheme = builder.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return builder.Uri;
    }

    private static ClientWebSocket CreateUpstreamSocket(HttpContext context)
    {
        var upstream = new ClientWebSocket();
        var socketOptions = upstream.Options;
        socketOptions.CollectHttpResponseDetails = true;
        // ChatApi pings this socket; ClientWebSocket answers on its own. Web pings nobody upstream.
        socketOptions.KeepAliveInterval = TimeSpan.Zero;
        var request = context.Request;
        foreach (var name in (string[])["Cookie", "Origin", "User-Agent"])
        {
            var value = request.Headers[name].ToString();
            if (value.Length > 0)
            {
                socketOptions.SetRequestHeader(name, value);
            }
        }

        socketOptions.SetRequestHeader("X-Forwarded-For", ProxyHeaders.ForwardedFor(context));
        // ChatApi's same-origin check compares Origin with the host the browser used.
        socketOptions.SetRequestHeader("X-Forwarded-Host", request.Host.Value);
        socketOptions.SetRequestHeader("X-Forwarded-Proto", request.Scheme);
        if (Activity.Current is { } activity)
        {
            socketOptions.SetRequestHeader("traceparent", activity.Id);
            if (activity.TraceStateString is { Length: > 0 } traceState)
            {
                socketOptions.SetRequestHeader("tracestate", traceState);
            }
        }
        else
        {
            foreach (var (name, value) in ProxyHeaders.IncomingTraceContext(request))
            {
                socketOptions.SetRequestHeader(name, value);
            }
        }

        return upstream;
    }

    private async Task PumpBothWaysAsync(WebSocket browser, WebSocket upstream, CancellationToken cancellationToken)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopping = lifetime.ApplicationStopping.Register(() =>
        {
            // Say goodbye with a close (1001), so the page reconnects at once, to this Web when it is back
            // or to another instance; the close handshake then ends both pumps. A page that does not
            // answer is cut off after the grace time. (WebSocket serializes this send with the pump's.)
            _ = CloseAsync(browser, WebSocketCloseStatus.EndpointUnavailable, "Web is stopping.");
            abort.CancelAfter(CloseGrace);
        });
        var fromBrowser = PumpAsync(browser, upstream, rewriteMessages: true, abort.Token);
        var fromUpstream = PumpAsync(upstream, browser, rewriteMessages: false, abort.Token);
        var first = await Task.WhenAny(fromBrowser, fromUpstream);
        var second = first == fromBrowser ? fromUpstream : fromBrowser;

        // The first side to finish has passed its close (or a going-away) on; the other side now
        // answers that close, which ends its pump. A peer that never answers is cut off.
        if (await Task.WhenAny(second, Task.Delay(CloseGrace, CancellationToken.None)) != second)
        {
            await abort.CancelAsync();
            browser.Abort();
            upstream.Abort();
            await second;
        }
    }

    /// <summary>Relays frames from <paramref name="source"/> to <paramref name="destination"/> until a close or a failure.</summary>
    private async Task PumpAsync(WebSocket source, WebSocket destination, bool rewriteMessages, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(WholeFrameLimit);
        try
        {
            var startOfFrame = true;
            while (true)
            {
                var (result, length) = await ReceiveAsync(source, buffer, rewriteMessages, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseAsync(destination, source.CloseStatus ?? WebSocketCloseStatus.NormalClosure, source.CloseStatusDescription);
                    return;
                }

                // Only a frame read whole, from its start, is a candidate for the traceparent rewrite.
                var wholeFrame = rewriteMessages && startOfFrame && result.EndOfMessage;
                await SendAsync(destination, buffer.AsMemory(0, length), result, wholeFrame, cancellationToken);
                startOfFrame = result.EndOfMessage;
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException
            or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            // The source vanished without a close (ChatApi stopped, the tab was killed), or the relay was cut
            // off: the other side is told the peer went away, so the page knows to reconnect.
            await CloseAsync(destination, WebSocketCloseStatus.EndpointUnavailable, "The other side went away.");
            if (!cancellationToken.IsCancellationRequested)
            {
                Log.RelayEnded(logger, exception.GetType().Name, exception.Message);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Receives the next piece. Frames that are rewritten are read whole (up to <see cref="WholeFrameLimit"/>);
    /// otherwise each fragment is relayed as it arrives.
    /// </summary>
    private static async Task<(ValueWebSocketReceiveResult Result, int Length)> ReceiveAsync(
        WebSocket source, byte[] buffer, bool wholeFrames, CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            var result = await source.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
            length += result.Count;
            if (result.MessageType == WebSocketMessageType.Close || result.EndOfMessage || !wholeFrames || length == buffer.Length)
            {
                return (result, length);
            }
        }
    }

    private static async Task SendAsync(
        WebSocket destination, ReadOnlyMemory<byte> data, ValueWebSocketReceiveResult result, bool wholeFrame, CancellationToken cancellationToken)
    {
        if (wholeFrame && result.MessageType == WebSocketMessageType.Text
            && MessageFrameTracing.StartMessageSpan(data.Span) is var (activity, frame))
        {
            using (activity)
            {
                await destination.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }

            return;
        }

        await destination.SendAsync(data, result.MessageType, result.EndOfMessage, cancellationToken);
    }

    /// <summary>Sends a close if the socket can still take one; a socket that is already gone is left alone.</summary>
    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string? description)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(CloseGrace);
            await socket.CloseOutputAsync(status, description, timeout.Token);
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException)
        {
            socket.Abort();
        }
    }
}

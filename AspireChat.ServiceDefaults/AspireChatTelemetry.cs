using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Instrumentation.AspNetCore;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What AspireChat adds to the template's telemetry, in the same tracer and meter providers: its own sources and
/// meters, the GenAI spans and metrics of every model call, and two rules for ASP.NET Core's request spans.
/// (The browser's traceparent needs nothing here: an HTTP request carries it in its header, which ASP.NET Core reads;
/// a WebSocket message carries it in the message, and ChatApi's ChatTelemetry parents the reply on it.)
/// </summary>
internal static class AspireChatTelemetry
{
    /// <summary>AspireChat's own ActivitySources and Meters: AspireChat.Chat, ...</summary>
    private const string AppSources = "AspireChat.*";

    /// <summary>
    /// Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c>: a <c>chat {model}</c> span per model call, with the GenAI
    /// semantic conventions, and the <c>gen_ai.client.*</c> metrics, under its default source and meter name.
    /// </summary>
    private const string GenAISource = "Experimental.Microsoft.Extensions.AI";

    /// <summary>The request tags that OpenTelemetry.Instrumentation.AspNetCore sets as a request starts.</summary>
    private static readonly string[] s_requestTags =
    [
        "http.request.method", "http.request.method_original", "url.scheme", "url.path", "url.query",
        "server.address", "server.port", "network.protocol.version", "user_agent.original",
    ];

    public static TracerProviderBuilder AddAspireChatTracing(this TracerProviderBuilder tracing) => tracing
        .AddSource(AppSources, GenAISource)
        .ConfigureServices(services => services.Configure<AspNetCoreTraceInstrumentationOptions>(options =>
        {
            options.EnrichWithHttpRequest = OnRequestStart;
            options.EnrichWithHttpResponse = OnRequestEnd;
        }));

    public static MeterProviderBuilder AddAspireChatMetrics(this MeterProviderBuilder metrics) => metrics
        .AddMeter(AppSources, GenAISource);

    private static void OnRequestStart(Activity activity, HttpRequest request)
    {
        if (IsLongLived(request.HttpContext))
        {
            // A WebSocket's request lasts as long as its socket (hours, for an idle tab), and its span need not hold
            // the request's tags all that time: they are set again as it ends, when the span is exported.
            foreach (var tag in s_requestTags)
            {
                activity.SetTag(tag, null);
            }
        }
    }

    private static void OnRequestEnd(Activity activity, HttpResponse response)
    {
        var context = response.HttpContext;
        if (IsLongLived(context))
        {
            var request = context.Request;
            activity.SetTag("http.request.method", request.Method);
            activity.SetTag("url.scheme", request.Scheme);
            activity.SetTag("url.path", request.Path.Value);
            activity.SetTag("server.address", request.Host.Host);
            activity.SetTag("server.port", request.Host.Port);
            activity.SetTag("network.protocol.version", ProtocolVersion(request.Protocol));
            activity.SetTag("user_agent.original", request.Headers.UserAgent.ToString() is { Length: > 0 } userAgent ? userAgent : null);
        }
        else if (context.GetEndpoint() is null && response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status304NotModified)
        {
            // No endpoint answered, with success: the static file middleware served the page or one of its files.
            // Those are left out of traces, as the health probes are (by the instrumentation's Filter).
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }

    /// <summary>A WebSocket handshake: over HTTP/1.1 an upgrade, over HTTP/2 an extended CONNECT.</summary>
    private static bool IsLongLived(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
        || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;

    private static string? ProtocolVersion(string protocol) => protocol switch
    {
        "HTTP/1.1" => "1.1",
        "HTTP/2" => "2",
        "HTTP/3" => "3",
        "HTTP/1.0" => "1.0",
        _ => null,
    };
}

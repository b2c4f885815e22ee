using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Does for ASP.NET Core's own request activity what OpenTelemetry.Instrumentation.AspNetCore
/// would (it does not restore here): names the span <c>{method} {route}</c>, adds the HTTP
/// semantic-convention attributes, and leaves health probes and static files out of traces.
/// Runs first in every pipeline, as a startup filter.
/// </summary>
internal sealed class HttpServerSpanStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(static async (context, nextMiddleware) =>
        {
            var activity = Activity.Current;
            if (activity is null || activity.Kind != ActivityKind.Server)
            {
                await nextMiddleware(context);
                return;
            }

            if (Extensions.IsHealthProbe(context.Request.Path))
            {
                Drop(activity);
                await nextMiddleware(context);
                return;
            }

            // The request as it came in (UseDefaultFiles rewrites the path), tagged on the span only as the request
            // ends, when the span is exported: a WebSocket's request lasts as long as its socket, and its span need
            // not hold the tags all that time.
            var method = context.Request.Method;
            var scheme = context.Request.Scheme;
            var path = context.Request.Path.Value;
            var host = context.Request.Host;
            try
            {
                await nextMiddleware(context);
            }
            finally
            {
                activity.SetTag("http.request.method", method);
                activity.SetTag("url.scheme", scheme);
                activity.SetTag("url.path", path);
                activity.SetTag("server.address", host.Host);
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                if (route is null && context.Response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status304NotModified)
                {
                    // No endpoint answered with success: the static file middleware served it.
                    Drop(activity);
                }
                else
                {
                    activity.DisplayName = route is null ? context.Request.Method : $"{context.Request.Method} {route}";
                    activity.SetTag("http.route", route);
                    activity.SetTag("http.response.status_code", context.Response.StatusCode);
                    if (context.Response.StatusCode >= 500)
                    {
                        activity.SetStatus(ActivityStatusCode.Error);
                    }
                }
            }
        });
        next(app);
    };

    private static void Drop(Activity activity)
    {
        // The SDK exports only activities that are recorded and ask for all data.
        activity.IsAllDataRequested = false;
        activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
    }
}

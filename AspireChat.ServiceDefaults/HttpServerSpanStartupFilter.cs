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

            activity.SetTag("http.request.method", context.Request.Method);
            activity.SetTag("url.scheme", context.Request.Scheme);
            activity.SetTag("url.path", context.Request.Path.Value);
            activity.SetTag("server.address", context.Request.Host.Host);
            try
            {
                await nextMiddleware(context);
            }
            finally
            {
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

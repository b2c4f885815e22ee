using Yarp.ReverseProxy.Configuration;

namespace AspireChat.Web.Proxy;

/// <summary>
/// Web's proxy of <c>/api</c> and <c>/ws</c> to ChatApi, with YARP, so the browser talks to one origin.
/// YARP passes cookies both ways, streams bodies and event streams unbuffered, relays WebSocket frames
/// as they come, sets <c>X-Forwarded-*</c> from the browser's request, answers 502 when ChatApi is not
/// there, and continues the request's trace; what it adds here is who may open a socket, and when one ends.
/// </summary>
public static class ChatProxyExtensions
{
    private const string SocketRouteId = "ws";

    /// <summary>
    /// ChatApi by its Aspire resource name, resolved by service discovery from what <c>WithReference(chatapi)</c> injects
    /// (<c>services__chatapi__https__0</c>, <c>services__chatapi__http__0</c>): https when there is one, else http.
    /// </summary>
    public const string ChatApiAddress = "https+http://chatapi";

    public static TBuilder AddChatProxy<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ChatProxyOptions>().BindConfiguration(ChatProxyOptions.SectionName);
        builder.Services.AddSingleton<OriginPolicy>();
        builder.Services.AddReverseProxy().LoadFromMemory(
            [
                new RouteConfig { RouteId = "api", ClusterId = "chatapi", Match = new RouteMatch { Path = "/api/{**path}" } },
                new RouteConfig { RouteId = SocketRouteId, ClusterId = "chatapi", Match = new RouteMatch { Path = "/ws" } },
            ],
            [
                new ClusterConfig
                {
                    ClusterId = "chatapi",
                    Destinations = new Dictionary<string, DestinationConfig> { ["chatapi"] = new() { Address = ChatApiAddress } },
                },
            ])
            // Replaces the logical address with ChatApi's endpoints, and again whenever the configuration changes.
            .AddServiceDiscoveryDestinationResolver();
        return builder;
    }

    public static WebApplication MapChatProxy(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        Log.ProxyingTo(app.Logger, ChatApiAddress);
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(RefuseForeignOrigins);
            proxy.Use(EndSocketsWhenStoppingAsync);
        });
        return app;
    }

    /// <summary>
    /// Refuses a <c>/ws</c> handshake from another site's page with 403, before ChatApi is asked
    /// (ChatApi checks again behind it): the browser sends the owner cookie with any handshake.
    /// </summary>
    private static Task RefuseForeignOrigins(HttpContext context, RequestDelegate next)
    {
        if (context.GetReverseProxyFeature().Route.Config.RouteId == SocketRouteId
            && !context.RequestServices.GetRequiredService<OriginPolicy>().Allows(context.Request))
        {
            Log.ForeignOriginRefused(context.RequestServices.GetRequiredService<ILogger<OriginPolicy>>(), context.Request.Headers.Origin.ToString());
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }

        return next(context);
    }

    /// <summary>
    /// Cuts open sockets as soon as Web stops: YARP relays a socket until one side closes it, and Kestrel
    /// would wait its whole shutdown timeout for that. The page reconnects at once, to this Web when it is
    /// back or to another instance, and resumes its reply from Redis.
    /// </summary>
    private static async Task EndSocketsWhenStoppingAsync(HttpContext context, RequestDelegate next)
    {
        if (context.GetReverseProxyFeature().Route.Config.RouteId != SocketRouteId)
        {
            await next(context);
            return;
        }

        var lifetime = context.RequestServices.GetRequiredService<IHostApplicationLifetime>();
        using var stopping = lifetime.ApplicationStopping.Register(static state => ((HttpContext)state!).Abort(), context);
        await next(context);
    }
}

using System.Net;
using Microsoft.Extensions.Options;

namespace AspireChat.Web.Proxy;

/// <summary>Web's proxy of <c>/api</c> and <c>/ws</c> to ChatApi, so the browser talks to one origin.</summary>
public static class ChatProxyExtensions
{
    public static TBuilder AddChatProxy<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ChatProxyOptions>()
            .BindConfiguration(ChatProxyOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) => options.ChatApi = ChatApiAddress.Resolve(configuration))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddHttpClient<HttpForwarder>(HttpForwarder.HttpClientName, http =>
            {
                // Event streams live as long as the reply; the browser's disconnect is what ends them.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                // A proxy passes cookies, redirects and encodings through; it does not act on them.
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseProxy = false,
                ConnectTimeout = services.GetRequiredService<IOptions<ChatProxyOptions>>().Value.ConnectTimeout,
            });
        builder.Services.AddSingleton<OriginPolicy>();
        builder.Services.AddSingleton<WebSocketRelay>();
        return builder;
    }

    public static WebApplication MapChatProxy(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWebSockets();
        app.Map("/ws", static (HttpContext context, WebSocketRelay relay) => relay.RelayAsync(context, context.RequestAborted));
        app.Map("/api/{**path}", static (HttpContext context, HttpForwarder forwarder) => forwarder.ForwardAsync(context, context.RequestAborted));
        return app;
    }
}

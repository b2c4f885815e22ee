using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Instrumentation.AspNetCore;

namespace AspireChat.Web.Telemetry;

/// <summary>
/// A same-origin OTLP/HTTP relay for the page's spans: the page posts OTLP/HTTP JSON to <c>/otlp/v1/traces</c> (its CSP
/// keeps <c>connect-src 'self'</c>), and Web forwards it, with the headers only the server knows (the dashboard's API
/// key), to the configured OTLP/HTTP endpoint. It refuses what is not OTLP JSON, what is too large and what comes too
/// fast, answers at once when the collector is busy, and never queues: a batch the collector cannot take is dropped.
/// </summary>
public static class BrowserTelemetryRelay
{
    public const string RoutePrefix = "/otlp";
    public const string RateLimitPolicy = "browser-telemetry";
    public const string HttpClientName = "browser-telemetry";
    private const string JsonContentType = "application/json";

    public static TBuilder AddBrowserTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<BrowserTelemetryOptions>()
            .BindConfiguration(BrowserTelemetryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(BrowserTelemetryOptions.SectionName).Get<BrowserTelemetryOptions>() ?? new();

        // One limiter for every client together: a forward in flight holds a permit; none free means 503 at once.
        builder.Services.AddSingleton(new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxConcurrentForwards,
            QueueLimit = 0,
        }));
        builder.Services.AddRateLimiter(rateLimiter =>
        {
            rateLimiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            rateLimiter.OnRejected = static async (context, cancellationToken) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                }

                await WriteProblemAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many telemetry requests from this client; spans are dropped.", cancellationToken);
            };
            rateLimiter.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.RequestBurst,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1) / options.RequestsPerMinute,
                    QueueLimit = 0,
                }));
        });

        // The browser retries (within its own time-out); a relay that retried too would hold its permits longer.
        // RemoveAllResilienceHandlers is marked for evaluation (EXTEXP0001); the relay's slow-collector test fails if it stops working.
#pragma warning disable EXTEXP0001
        builder.Services.AddHttpClient(HttpClientName, client => client.Timeout = options.ForwardTimeout)
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        // The relay's own requests stay out of traces: one per page batch would bury the spans they carry.
        builder.Services.Configure<AspNetCoreTraceInstrumentationOptions>(instrumentation =>
        {
            var filter = instrumentation.Filter;
            instrumentation.Filter = context => !context.Request.Path.StartsWithSegments(RoutePrefix) && (filter?.Invoke(context) ?? true);
        });
        return builder;
    }

    public static WebApplication MapBrowserTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<BrowserTelemetryOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BrowserTelemetryRelay));
        if (options.Enabled)
        {
            Log.RelayingTo(logger, options.TracesUri());
        }
        else
        {
            Log.Off(logger);
        }

        app.UseRateLimiter();
        var group = app.MapGroup(RoutePrefix);
        group.MapGet("/config", GetConfig).WithName("BrowserTelemetryConfig").WithSummary("Whether the page sends spans, and where");
        group.MapPost("/v1/traces", ForwardTracesAsync)
            .RequireRateLimiting(RateLimitPolicy)
            .WithName("BrowserTelemetryTraces")
            .WithSummary("Relays the page's OTLP/HTTP JSON spans to the configured collector");
        return app;
    }

    private static JsonHttpResult<BrowserTelemetryConfig> GetConfig(IOptions<BrowserTelemetryOptions> options) =>
        TypedResults.Json(
            options.Value.Enabled
                ? new BrowserTelemetryConfig(true, "otlp/v1/traces", options.Value.ServiceName)
                : new BrowserTelemetryConfig(false),
            TelemetryJsonContext.Default.BrowserTelemetryConfig);

    private static async Task ForwardTracesAsync(
        HttpContext context,
        IOptions<BrowserTelemetryOptions> options,
        ConcurrencyLimiter forwards,
        IHttpClientFactory clients,
        ILoggerFactory loggers)
    {
        var settings = options.Value;
        var cancellationToken = context.RequestAborted;
        if (!settings.Enabled)
        {
            await WriteProblemAsync(context, StatusCodes.Status404NotFound, "Browser telemetry is off: no BrowserTelemetry:Endpoint is configured.", cancellationToken);
            return;
        }

        if (!IsJson(context.Request.ContentType))
        {
            await WriteProblemAsync(context, StatusCodes.Status415UnsupportedMediaType, "Send OTLP/HTTP JSON (Content-Type: application/json); protobuf is not relayed.", cancellationToken);
            return;
        }

        var body = await ReadBodyAsync(context, settings.MaxBodyBytes);
        if (body is null)
        {
            await WriteProblemAsync(context, StatusCodes.Status413PayloadTooLarge, $"The body is over the relay limit of {settings.MaxBodyBytes} bytes.", cancellationToken);
            return;
        }

        if (OtlpJsonTraces.CountSpans(body, out var problem) is not { } spans)
        {
            await WriteProblemAsync(context, StatusCodes.Status400BadRequest, problem, cancellationToken);
            return;
        }

        if (spans == 0)
        {
            context.Response.ContentType = JsonContentType;
            await context.Response.WriteAsync("{}", cancellationToken);
            return;
        }

        using var permit = forwards.AttemptAcquire();
        if (!permit.IsAcquired)
        {
            context.Response.Headers.RetryAfter = "1";
            await WriteProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "The relay is busy with other forwards; spans are dropped.", cancellationToken);
            return;
        }

        await ForwardAsync(context, settings, body, clients.CreateClient(HttpClientName), loggers.CreateLogger(typeof(BrowserTelemetryRelay)));
    }

    private static async Task ForwardAsync(HttpContext context, BrowserTelemetryOptions settings, byte[] body, HttpClient client, ILogger logger)
    {
        var cancellationToken = context.RequestAborted;
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.TracesUri()) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new(JsonContentType);
        foreach (var (name, value) in settings.ParsedHeaders())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        try
        {
            HttpResponseMessage response;
            // No span for the forward either (HttpClient's instrumentation): it would be exported beside the page's.
            using (SuppressInstrumentationScope.Begin())
            {
                response = await client.SendAsync(request, cancellationToken);
            }

            using (response)
            {
                if (response.IsSuccessStatusCode)
                {
                    context.Response.StatusCode = (int)response.StatusCode;
                    context.Response.ContentType = JsonContentType;
                    await response.Content.CopyToAsync(context.Response.Body, cancellationToken);
                    return;
                }

                Log.CollectorRefused(logger, (int)response.StatusCode);
                await WriteProblemAsync(context, StatusCodes.Status502BadGateway, $"The telemetry collector answered {(int)response.StatusCode}; spans are dropped.", cancellationToken);
            }
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Log.CollectorUnreachable(logger, $"no answer within {settings.ForwardTimeout.TotalSeconds:0.#} s");
            await WriteProblemAsync(context, StatusCodes.Status504GatewayTimeout, "The telemetry collector did not answer in time; spans are dropped.", cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            Log.CollectorUnreachable(logger, exception.HttpRequestError.ToString());
            await WriteProblemAsync(context, StatusCodes.Status502BadGateway, "The telemetry collector could not be reached; spans are dropped.", cancellationToken);
        }
    }

    /// <summary>The body, or null when it is longer than <paramref name="limit"/> (announced or as read).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, int limit)
    {
        if (context.Request.ContentLength > limit)
        {
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        using var buffer = new MemoryStream();
        try
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return buffer.Length > limit ? null : buffer.ToArray();
    }

    private static bool IsJson(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && mediaType.MediaType.Equals(JsonContentType, StringComparison.OrdinalIgnoreCase);

    private static Task WriteProblemAsync(HttpContext context, int status, string title, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new RelayProblem(status, title), TelemetryJsonContext.Default.RelayProblem, "application/problem+json", cancellationToken);
    }
}

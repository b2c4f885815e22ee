using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every AspireChat service shares, as in Aspire's ServiceDefaults template: health endpoints
/// and OpenTelemetry. OpenTelemetry.Extensions.Hosting does not restore on this project's machines,
/// so the providers are built with the SDK itself and owned by the host (<see cref="TelemetryHost"/>).
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Aspire injects OTEL_EXPORTER_OTLP_ENDPOINT (and _PROTOCOL, _HEADERS); without it nothing is exported.
        var exportOtlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var applicationName = builder.Environment.ApplicationName;

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            logging.SetResourceBuilder(TelemetryResource.Configure(ResourceBuilder.CreateEmpty(), applicationName));
            if (exportOtlp)
            {
                logging.AddOtlpExporter();
            }
        });

        builder.Services.AddSingleton(_ => TelemetryHost.CreateSdk(applicationName, exportOtlp));
        builder.Services.AddHostedService<TelemetryHost>();
        builder.Services.AddTransient<IStartupFilter, HttpServerSpanStartupFilter>();
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            // "live": the process answers; everything else (Redis, ...) adds to readiness at /health.
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Mapped in every environment: Aspire's WithHttpHealthCheck and Azure Container Apps probes call them.
        // They report status only, never details.
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
        return app;
    }

    /// <summary>True for requests that are left out of traces: health probes.</summary>
    internal static bool IsHealthProbe(string path) =>
        path.StartsWith(HealthEndpointPath, StringComparison.OrdinalIgnoreCase)
        || path.StartsWith(AlivenessEndpointPath, StringComparison.OrdinalIgnoreCase);

    internal static void ConfigureTracing(TracerProviderBuilder tracing) => tracing
        .AddSource("Microsoft.AspNetCore")
        .AddSource("System.Net.Http")
        .AddSource("AspireChat.*")
        // The OpenAI SDK's own gen_ai spans (switched on by OpenAI.Experimental.EnableOpenTelemetry).
        .AddSource("OpenAI.*");

    internal static void ConfigureMetrics(MeterProviderBuilder metrics) => metrics
        .AddMeter("Microsoft.AspNetCore.Hosting")
        .AddMeter("Microsoft.AspNetCore.Server.Kestrel")
        .AddMeter("System.Net.Http")
        .AddMeter("System.Runtime")
        .AddMeter("AspireChat.*")
        .AddMeter("OpenAI.*");
}

/// <summary>The resource every signal carries: the service name, then OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES on top.</summary>
internal static class TelemetryResource
{
    public static ResourceBuilder Configure(ResourceBuilder resource, string applicationName) => resource
        .Clear()
        .AddService(applicationName)
        .AddTelemetrySdk()
        .AddEnvironmentVariableDetector();
}

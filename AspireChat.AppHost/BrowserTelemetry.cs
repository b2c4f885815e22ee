using Microsoft.Extensions.DependencyInjection;

namespace AspireChat.AppHost;

/// <summary>
/// Web relays the page's spans (OTLP/HTTP JSON) to an OTLP/HTTP endpoint with headers the browser never sees. Under the
/// AppHost that endpoint is the dashboard's: Aspire 13.6 opens its OTLP/HTTP port when <c>ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL</c>
/// is set (launchSettings.json sets it), as the dashboard resource's <c>otlp-http</c> endpoint, and protects it with the
/// key it keeps in <c>AppHost:OtlpApiKey</c> (generated into user secrets unless the dashboard is unsecured), the key it
/// gives every service as <c>OTEL_EXPORTER_OTLP_HEADERS</c>. Aspire tells services of one OTLP endpoint only (gRPC, when
/// both are open), which a browser cannot speak, so web gets the HTTP one under its own settings.
/// </summary>
public static class BrowserTelemetry
{
    /// <summary>Aspire's setting for the dashboard's OTLP/HTTP endpoint (KnownConfigNames.DashboardOtlpHttpEndpointUrl), and its older name.</summary>
    public static readonly string[] DashboardOtlpHttpEndpointSettings = ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL", "DOTNET_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"];

    /// <summary>Where Aspire keeps the dashboard's OTLP API key.</summary>
    public const string OtlpApiKeySetting = "AppHost:OtlpApiKey";

    /// <summary>The dashboard resource Aspire adds as the app starts (KnownResourceNames.AspireDashboard), and its OTLP/HTTP endpoint (KnownEndpointNames).</summary>
    private const string DashboardResourceName = "aspire-dashboard";
    private const string DashboardOtlpHttpEndpointName = "otlp-http";

    /// <summary>
    /// Gives <paramref name="web"/> the dashboard's OTLP/HTTP endpoint and API key as <c>BrowserTelemetry__Endpoint</c> and
    /// <c>BrowserTelemetry__Headers</c>, in run mode, when that endpoint is configured. The address is the dashboard
    /// resource's endpoint, as allocated (a run with randomized ports moves it), else the configured URL (an app model
    /// read before the dashboard was added). A deployment configures its own collector.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBrowserTelemetry(this IResourceBuilder<ProjectResource> web)
    {
        ArgumentNullException.ThrowIfNull(web);
        var configuration = web.ApplicationBuilder.Configuration;
        return web.WithEnvironment(context =>
        {
            var configured = DashboardOtlpHttpEndpointSettings.Select(name => configuration[name]).FirstOrDefault(value => !string.IsNullOrEmpty(value));
            if (context.ExecutionContext.IsPublishMode || configured is null)
            {
                return;
            }

            var dashboard = context.ExecutionContext.Services.GetService<DistributedApplicationModel>()?.Resources
                .OfType<IResourceWithEndpoints>()
                .SingleOrDefault(resource => resource.Name == DashboardResourceName);
            context.EnvironmentVariables["BrowserTelemetry__Endpoint"] =
                dashboard?.GetEndpoint(DashboardOtlpHttpEndpointName) is { Exists: true } endpoint ? endpoint : configured;
            if (configuration[OtlpApiKeySetting] is { Length: > 0 } key)
            {
                context.EnvironmentVariables["BrowserTelemetry__Headers"] = $"x-otlp-api-key={key}";
            }
        });
    }
}

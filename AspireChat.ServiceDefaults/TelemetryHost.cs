using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Owns the tracer and meter providers for the life of the host: builds them at start (so spans
/// are recorded from the first request) and flushes and disposes them at shutdown, so the last
/// spans of a stopping service still reach the collector.
/// </summary>
internal sealed class TelemetryHost(OpenTelemetrySdk sdk) : IHostedService, IDisposable
{
    public static OpenTelemetrySdk CreateSdk(string applicationName, bool exportOtlp) => OpenTelemetrySdk.Create(otel =>
    {
        otel.ConfigureResource(resource => TelemetryResource.Configure(resource, applicationName));
        otel.WithTracing(Extensions.ConfigureTracing);
        otel.WithMetrics(Extensions.ConfigureMetrics);
        if (exportOtlp)
        {
            // Reads OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL (grpc or http/protobuf) and _HEADERS.
            otel.UseOtlpExporter();
        }
    });

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        sdk.TracerProvider.ForceFlush(5_000);
        sdk.MeterProvider.ForceFlush(5_000);
        return Task.CompletedTask;
    }

    public void Dispose() => sdk.Dispose();
}

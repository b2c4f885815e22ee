using Aspire.Hosting;
using Aspire.Hosting.Testing;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// The whole AppHost (Redis container, chatapi, web) started once for the Aspire tests, with the
/// services' OTLP export pointed at an <see cref="OtlpReceiver"/> in place of the dashboard.
/// When no container runtime answers nothing is started and <see cref="SkipReason"/> says why.
/// </summary>
public sealed class AspireAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    public const string OtlpApiKey = "aspire-tests-otlp-key";

    private DistributedApplication? _app;
    private OtlpReceiver? _otlp;

    public string? SkipReason { get; private set; }

    public DistributedApplication App => _app ?? throw new InvalidOperationException(SkipReason ?? "The app did not start.");

    public OtlpReceiver Otlp => _otlp ?? throw new InvalidOperationException(SkipReason ?? "The app did not start.");

    public async ValueTask InitializeAsync()
    {
        SkipReason = await ContainerRuntime.WhyUnavailableAsync();
        if (SkipReason is not null)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(StartTimeout);
        _otlp = await OtlpReceiver.StartAsync(timeout.Token);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AspireChat_AppHost>(
            [
                // Where Aspire tells every resource to export (OTEL_EXPORTER_OTLP_ENDPOINT), and the key it sends.
                $"ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL={_otlp.GrpcEndpoint}",
                $"AppHost:OtlpApiKey={OtlpApiKey}",
            ],
            timeout.Token);
        _app = await appHost.BuildAsync(timeout.Token).WaitAsync(StartTimeout, timeout.Token);
        await _app.StartAsync(timeout.Token).WaitAsync(StartTimeout, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_otlp is not null)
        {
            await _otlp.DisposeAsync();
        }
    }
}

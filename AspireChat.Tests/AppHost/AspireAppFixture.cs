using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// The whole AppHost (Redis container, chatapi, web) started once for the Aspire tests, with the
/// services' OTLP export pointed at an <see cref="OtlpReceiver"/> in place of the dashboard.
/// Whatever the developer configured, the run has Redis storage of its own and the offline model.
/// When no container runtime answers nothing is started and <see cref="SkipReason"/> says why.
/// </summary>
public sealed class AspireAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    public const string OtlpApiKey = "aspire-tests-otlp-key";

    /// <summary>
    /// Settings that make ChatApi run its offline model even where the developer saved an OpenAI key
    /// (user secrets, which Aspire's testing builder loads) or set <c>UseOpenAI=true</c>: command-line
    /// settings win over both, and an empty key counts as no key (ModelParameters.cs).
    /// </summary>
    public static readonly IReadOnlyList<string> OfflineModelArgs = ["Parameters:openai-api-key=", "UseOpenAI=false"];

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
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
            [
                // Where Aspire tells every resource to export (OTEL_EXPORTER_OTLP_ENDPOINT), and the key it sends.
                $"ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL={_otlp.GrpcEndpoint}",
                $"AppHost:OtlpApiKey={OtlpApiKey}",
                .. OfflineModelArgs,
            ],
            timeout.Token);
        UseAnonymousVolumes(appHost);
        _app = await appHost.BuildAsync(timeout.Token).WaitAsync(StartTimeout, timeout.Token);
        await _app.StartAsync(timeout.Token).WaitAsync(StartTimeout, timeout.Token);
    }

    /// <summary>
    /// Puts an anonymous volume in place of every named one in the app model (the <c>cache</c>'s data
    /// volume), as dotnet/aspire-samples' tests do (<c>WithRandomVolumeNames</c>): the container runtime
    /// creates a new, unnamed volume for the test run, so test conversations never land in the
    /// developer's history and never share a volume with a running AppHost. Must run before the build.
    /// </summary>
    internal static void UseAnonymousVolumes(IDistributedApplicationTestingBuilder appHost)
    {
        foreach (var resource in appHost.Resources)
        {
            // Read-only volumes are left alone: nothing writes to them, and anonymous volumes cannot be read-only.
            // No two resources share a volume here, so none needs a shared random name instead.
            // The new mount is the annotation WithVolume(target) adds: no name, so the runtime makes a new volume.
            var namedVolumes = resource.Annotations
                .OfType<ContainerMountAnnotation>()
                .Where(mount => mount.Type == ContainerMountType.Volume && mount.Source is not null && !mount.IsReadOnly)
                .ToList();
            foreach (var volume in namedVolumes)
            {
                resource.Annotations.Remove(volume);
                resource.Annotations.Add(new ContainerMountAnnotation(null, volume.Target, ContainerMountType.Volume, isReadOnly: false));
            }
        }
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

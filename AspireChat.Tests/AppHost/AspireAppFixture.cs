using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// The whole AppHost (cache, chatapi, web and the dashboard) started once for the Aspire tests, as
/// <c>dotnet run</c> starts it, with three changes for a test run: every port is free and random (a developer's
/// AppHost may be running), the cache keeps its data in a folder (or a volume) of the run's own, and the services'
/// OTLP export (and web's relay of the browser's spans) goes to an <see cref="OtlpReceiver"/> the tests can read. Whatever the developer configured, the
/// model is the offline one. Every resource's log is kept, so a test that fails says what the resources said.
/// </summary>
public sealed class AspireAppFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Settings that make ChatApi run its offline model even where the developer saved an OpenAI key
    /// (user secrets, which Aspire's testing builder loads) or set <c>UseOpenAI=true</c>: command-line
    /// settings win over both, and an empty key counts as no key (ModelParameters.cs).
    /// </summary>
    public static readonly IReadOnlyList<string> OfflineModelArgs = ["Parameters:openai-api-key=", "UseOpenAI=false"];

    private readonly string _cacheDirectory = Directory.CreateTempSubdirectory("aspirechat-apphost-cache-").FullName;
    private readonly IReadOnlyList<string> _args;
    private readonly ResourceLogBook _logs = new();
    private DistributedApplication? _app;
    private OtlpReceiver? _otlp;

    public AspireAppFixture()
        : this([])
    {
    }

    /// <summary>The AppHost with <paramref name="args"/> besides the test run's own (e.g. <c>Cache:RunAs=Cluster</c>).</summary>
    internal AspireAppFixture(IReadOnlyList<string> args) => _args = args;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app did not start.");

    public OtlpReceiver Otlp => _otlp ?? throw new InvalidOperationException("The app did not start.");

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        _otlp = await OtlpReceiver.StartAsync(timeout.Token);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
            [.. TestRunArgs(_cacheDirectory), .. OfflineModelArgs, .. _args],
            (options, _) => options.DisableDashboard = false,
            timeout.Token);
        UseAnonymousVolumes(appHost);
        ExportTelemetryTo(appHost, _otlp);
        _app = await appHost.BuildAsync(timeout.Token).WaitAsync(StartTimeout, timeout.Token);
        _logs.Keep(_app);
        await _app.StartAsync(timeout.Token).WaitAsync(StartTimeout, timeout.Token);
    }

    /// <summary>
    /// The AppHost's http launch profile (no development certificate needed), with the dashboard, its OTLP (gRPC and HTTP),
    /// its MCP and its resource service on free ports, and the cache's data (when it is a redis-server process) in <paramref name="cacheDirectory"/>.
    /// </summary>
    public static IEnumerable<string> TestRunArgs(string cacheDirectory) =>
    [
        "DOTNET_LAUNCH_PROFILE=http",
        $"ASPNETCORE_URLS=http://localhost:{ServiceProcess.FreeTcpPort()}",
        $"ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL=http://localhost:{ServiceProcess.FreeTcpPort()}",
        $"ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:{ServiceProcess.FreeTcpPort()}",
        $"ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:{ServiceProcess.FreeTcpPort()}",
        $"ASPIRE_DASHBOARD_MCP_ENDPOINT_URL=http://localhost:{ServiceProcess.FreeTcpPort()}",
        $"Cache:DataDirectory={cacheDirectory}",
    ];

    /// <summary>
    /// Puts an anonymous volume in place of every named one in the app model (the container <c>cache</c>'s data
    /// volume), as dotnet/aspire-samples' tests do (<c>WithRandomVolumeNames</c>): test conversations never land in
    /// the developer's history. Must run before the build.
    /// </summary>
    internal static void UseAnonymousVolumes(IDistributedApplicationTestingBuilder appHost)
    {
        foreach (var resource in appHost.Resources)
        {
            // Read-only volumes are left alone: nothing writes to them, and anonymous volumes cannot be read-only.
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

    /// <summary>
    /// The services export to <paramref name="otlp"/> instead of the dashboard: an environment callback added after
    /// Aspire's own (and the AppHost's), so it overrides the endpoints they give and keeps everything else (protocol,
    /// headers): the OTLP/gRPC endpoint of every service, and the OTLP/HTTP endpoint web relays the browser's spans to,
    /// where the AppHost gave it one (the dashboard's).
    /// </summary>
    private static void ExportTelemetryTo(IDistributedApplicationTestingBuilder appHost, OtlpReceiver otlp)
    {
        foreach (var project in appHost.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                var environment = context.EnvironmentVariables;
                environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.GrpcEndpoint.ToString();
                if (environment.ContainsKey("BrowserTelemetry__Endpoint"))
                {
                    environment["BrowserTelemetry__Endpoint"] = otlp.HttpEndpoint.ToString();
                }
            }));
        }
    }

    /// <summary>What every resource has logged so far, for a failure message.</summary>
    public string ResourceLogs() => _logs.Tail(60);

    /// <summary>Waits for <paramref name="resource"/> to be healthy; on time-out, fails with every resource's state and log.</summary>
    public async Task WaitForHealthyAsync(string resource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"'{resource}' was not healthy within {timeout.TotalSeconds:0} s.{Environment.NewLine}{ResourceLogs()}");
        }
    }

    /// <summary>Waits until <paramref name="resource"/>'s state satisfies <paramref name="predicate"/>; on time-out, fails with every resource's log.</summary>
    public async Task<ResourceEvent> WaitForAsync(string resource, Func<ResourceEvent, bool> predicate, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await App.ResourceNotifications.WaitForResourceAsync(resource, predicate, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"'{resource}' was not {what} within {timeout.TotalSeconds:0} s.{Environment.NewLine}{ResourceLogs()}");
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _logs.StopAsync();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_otlp is not null)
        {
            await _otlp.DisposeAsync();
        }

        _logs.Dispose();
        Directory.Delete(_cacheDirectory, recursive: true);
    }
}

using System.Net.Http.Headers;
using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// The whole AppHost as <see cref="AspireAppFixture"/> starts it, but with the services' telemetry going where Aspire
/// sends it: to the dashboard, which keeps it in memory. The tests read it back through the dashboard's own telemetry
/// API (<c>/api/telemetry/*</c>, OTLP JSON, the API the Aspire CLI's <c>aspire otel</c> reads), with an API key of the
/// run's own: what a developer sees on the dashboard's Traces and Structured logs pages is what is asserted.
/// </summary>
public sealed class DashboardAppFixture : IAsyncLifetime
{
    private readonly string _cacheDirectory = Directory.CreateTempSubdirectory("aspirechat-dashboard-cache-").FullName;
    private readonly ResourceLogBook _logs = new();
    private DistributedApplication? _app;

    /// <summary>The dashboard telemetry API's key for this run.</summary>
    public string ApiKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The app did not start.");

    public async ValueTask InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(AspireAppFixture.StartTimeout);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<AspireChatAppHost>(
            [
                .. AspireAppFixture.TestRunArgs(_cacheDirectory),
                .. AspireAppFixture.OfflineModelArgs,
                "ASPIRE_DASHBOARD_API_ENABLED=true",
                $"AppHost:DashboardApiKey={ApiKey}",
            ],
            (options, _) => options.DisableDashboard = false,
            timeout.Token);
        AspireAppFixture.UseAnonymousVolumes(appHost);
        _app = await appHost.BuildAsync(timeout.Token).WaitAsync(AspireAppFixture.StartTimeout, timeout.Token);
        _logs.Keep(_app);
        await _app.StartAsync(timeout.Token).WaitAsync(AspireAppFixture.StartTimeout, timeout.Token);
    }

    /// <summary>An HttpClient for the dashboard's telemetry API, with this run's key.</summary>
    public async Task<HttpClient> DashboardApiAsync(CancellationToken cancellationToken)
    {
        await App.ResourceNotifications.WaitForResourceHealthyAsync("aspire-dashboard", cancellationToken);
        Assert.True(App.ResourceNotifications.TryGetCurrentState("aspire-dashboard", out var dashboard));
        var url = dashboard.Snapshot.Urls.First(u => u.Name is "http" or "https").Url;
        var client = new HttpClient { BaseAddress = new Uri(url) };
        client.DefaultRequestHeaders.Add("x-api-key", ApiKey);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>What every resource has logged so far, for a failure message.</summary>
    public string ResourceLogs() => _logs.Tail(40);

    public async ValueTask DisposeAsync()
    {
        await _logs.StopAsync();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _logs.Dispose();
        Directory.Delete(_cacheDirectory, recursive: true);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.AppHost;

/// <summary>
/// A second AppHost run on a machine where the first still holds the launch profile's fixed ports: it must stop
/// with the address in its error, not run half-started or wait. The first port a second <c>dotnet run</c> finds
/// taken is the resource service's (20170 in the http profile), which the AppHost binds itself.
/// </summary>
public sealed class PortClashTests
{
    [Fact]
    public async Task ASecondAppHostWhosePortsAreTakenExitsAndNamesTheAddress()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        // What the first run holds.
        using var firstRun = new TcpListener(IPAddress.Loopback, 0);
        firstRun.Start();
        var port = ((IPEndPoint)firstRun.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        var cacheDirectory = Directory.CreateTempSubdirectory("aspirechat-apphost-cache-").FullName;
        try
        {
            // The http profile's settings, as dotnet run gives them, with the dashboard on free ports and the resource service on the taken one.
            var environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["DOTNET_ENVIRONMENT"] = "Development",
                ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
                ["ASPNETCORE_URLS"] = $"http://localhost:{ServiceProcess.FreeTcpPort()}",
                ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{ServiceProcess.FreeTcpPort()}",
                ["ASPIRE_DASHBOARD_MCP_ENDPOINT_URL"] = $"http://localhost:{ServiceProcess.FreeTcpPort()}",
                ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{port}",
            };

            var (exitCode, output) = await AppHostProcess.RunAsync(
                [$"Cache:DataDirectory={cacheDirectory}", .. AspireAppFixture.OfflineModelArgs], environment, TimeSpan.FromSeconds(90), cancellationToken);

            Assert.True(exitCode > 0, $"Expected the second AppHost to exit with an error, got {exitCode}:{Environment.NewLine}{output}");
            Assert.Contains($"Failed to bind to address http://127.0.0.1:{port}: address already in use", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(cacheDirectory, recursive: true);
        }
    }
}

using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Fixtures.Otlp;

namespace AspireChat.Tests.Contract;

/// <summary>
/// ServiceDefaults against the OTLP half of Aspire's environment contract: a service started with
/// exactly the variables Aspire sets exports traces, metrics and logs to that endpoint, over the
/// protocol it names, with the API key header and the resource identity Aspire gave it.
/// </summary>
public sealed class ServiceDefaultsExportTests
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task ChatApiExportsToTheEndpointAspireNamesWithTheKeyAndItsIdentity(string protocol)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var receiver = await OtlpReceiver.StartAsync(cancellationToken);
        var environment = AspireEnvironment.Otlp(receiver, protocol, "chatapi");
        await using var chatApi = await ServiceProcess.StartAsync("AspireChat.ChatApi", environment, cancellationToken: cancellationToken);
        using var http = new HttpClient { BaseAddress = chatApi.BaseAddress };

        using (await http.GetAsync("/health", cancellationToken))
        using (await http.GetAsync("/no-such-page", cancellationToken))
        {
        }

        var spans = await receiver.WaitForSpansAsync(s => s.Any(span => span.Kind == OtlpSpanKind.Server), ExportTimeout, cancellationToken);
        var server = Assert.Single(spans, span => span.Kind == OtlpSpanKind.Server);
        Assert.Equal("/no-such-page", server.Attribute("url.path"));
        Assert.Equal(404L, server.Attribute("http.response.status_code"));
        Assert.Equal("chatapi", server.ServiceName);
        Assert.Equal(environment["OTEL_RESOURCE_ATTRIBUTES"]!["service.instance.id=".Length..], server.Resource["service.instance.id"]);
        Assert.True(await receiver.WaitForMetricAsync("http.server.request.duration", ExportTimeout, cancellationToken), "No http.server.request.duration metric arrived.");

        for (var clock = System.Diagnostics.Stopwatch.StartNew(); receiver.LogRecords == 0 && clock.Elapsed < ExportTimeout; await Task.Delay(100, cancellationToken))
        {
        }

        Assert.True(receiver.LogRecords > 0, "No log record arrived.");
        var requests = receiver.Requests;
        Assert.Contains(requests, r => r.Signal == "traces");
        Assert.Contains(requests, r => r.Signal == "metrics");
        Assert.Contains(requests, r => r.Signal == "logs");
        Assert.All(requests, r =>
        {
            Assert.Equal(protocol, r.Protocol);
            Assert.Equal(AspireEnvironment.OtlpApiKey, r.Headers["x-otlp-api-key"]);
        });
        Assert.DoesNotContain(spans, span => span.Attribute("url.path") is "/health");
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Web;

/// <summary>Web relaying to an OTLP receiver that stands in for the dashboard, with the dashboard's key as a server-side header.</summary>
public sealed class RelayingWeb : IAsyncLifetime
{
    public const string ApiKey = "relay-test-key";

    public OtlpReceiver Receiver { get; private set; } = null!;

    public ServiceProcess Web { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Receiver = await OtlpReceiver.StartAsync();
        Web = await BrowserTelemetryRelayTests.StartWebAsync(new()
        {
            ["BrowserTelemetry__Endpoint"] = Receiver.HttpEndpoint.ToString(),
            ["BrowserTelemetry__Headers"] = $"x-otlp-api-key={ApiKey}",
            ["BrowserTelemetry__MaxBodyBytes"] = "4096",
            // These tests send a few requests each, in any order: the flood test has a Web of its own.
            ["BrowserTelemetry__RequestBurst"] = "1000",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Web.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>
/// Web's same-origin OTLP/HTTP relay for the page's spans: what it forwards (and with which headers), what it refuses
/// and how it says so, and what it does when the collector is away, slow or flooded.
/// </summary>
public sealed class BrowserTelemetryRelayTests(RelayingWeb relaying) : IClassFixture<RelayingWeb>
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    [Fact]
    public async Task OtlpJsonIsForwardedToTheCollectorWithTheServersHeadersOnly()
    {
        using var http = new HttpClient { BaseAddress = relaying.Web.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/otlp/v1/traces") { Content = Json(Export("00f067aa0ba902b7", "message")) };
        request.Headers.Add("x-otlp-api-key", "what-a-browser-might-try");

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(relaying.Receiver.Requests, r => r.Protocol == "http/json" && Encoding.UTF8.GetString(r.Body).Contains("00f067aa0ba902b7", StringComparison.Ordinal));
        Assert.Equal(RelayingWeb.ApiKey, forwarded.Headers["x-otlp-api-key"]);
        Assert.False(forwarded.Headers.ContainsKey("Cookie"), "The browser's cookies stay with Web.");
        var span = Assert.Single(relaying.Receiver.Spans, s => s.SpanId == "00f067aa0ba902b7");
        Assert.Equal("message", span.Name);
        Assert.Equal(TraceId, span.TraceId);
        Assert.Equal("browser", span.ServiceName);
    }

    [Fact]
    public async Task TheConfigTellsThePageWhereToSendSpans()
    {
        using var http = new HttpClient { BaseAddress = relaying.Web.BaseAddress };

        var config = JsonNode.Parse(await http.GetStringAsync("/otlp/config", TestContext.Current.CancellationToken))!;

        Assert.True((bool)config["enabled"]!);
        Assert.Equal("otlp/v1/traces", (string?)config["tracesUrl"]);
        Assert.Equal("browser", (string?)config["serviceName"]);
        Assert.DoesNotContain(RelayingWeb.ApiKey, config.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABodyOverTheLimitIsRefusedWith413WhetherAnnouncedOrStreamed()
    {
        using var http = new HttpClient { BaseAddress = relaying.Web.BaseAddress };
        var large = Export("00f067aa0ba902b8", new string('x', 8 * 1024));

        using var announced = await http.PostAsync("/otlp/v1/traces", Json(large), TestContext.Current.CancellationToken);
        using var streamed = await http.PostAsync("/otlp/v1/traces", new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(large)))
        {
            Headers = { ContentType = new("application/json") },
        }, TestContext.Current.CancellationToken);

        foreach (var response in new[] { announced, streamed })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("over the relay limit of 4096 bytes", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(relaying.Receiver.Spans, s => s.SpanId == "00f067aa0ba902b8");
    }

    [Theory]
    [InlineData("text/plain", "hello", HttpStatusCode.UnsupportedMediaType, "Send OTLP/HTTP JSON")]
    [InlineData("application/x-protobuf", "\n\u0002\u0012\u0000", HttpStatusCode.UnsupportedMediaType, "protobuf is not relayed")]
    [InlineData("application/json", "not json", HttpStatusCode.BadRequest, "The body is not JSON.")]
    [InlineData("application/json", """{"hello":"world"}""", HttpStatusCode.BadRequest, "it has no resourceSpans")]
    [InlineData("application/json", """{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"00f067aa0ba902b7","name":"x"}]}]}]}""", HttpStatusCode.BadRequest, "hex traceId")]
    [InlineData("application/json", """{"resourceSpans":[{"scopeSpans":"not an array"}]}""", HttpStatusCode.BadRequest, "hex traceId")]
    [InlineData("application/json", """{"resourceSpans":[42]}""", HttpStatusCode.BadRequest, "hex traceId")]
    public async Task ABodyThatIsNotOtlpJsonIsRefusedClearlyAndNotForwarded(string contentType, string body, HttpStatusCode status, string reason)
    {
        using var http = new HttpClient { BaseAddress = relaying.Web.BaseAddress };
        var before = relaying.Receiver.Requests.Count;

        using var response = await http.PostAsync("/otlp/v1/traces", new StringContent(body, Encoding.UTF8, contentType), TestContext.Current.CancellationToken);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(before, relaying.Receiver.Requests.Count);
    }

    [Fact]
    public async Task WithNothingConfiguredBrowserTelemetryIsOffAndTheRelaySaysSo()
    {
        await using var web = await StartWebAsync([]);
        using var http = new HttpClient { BaseAddress = web.BaseAddress };

        var config = JsonNode.Parse(await http.GetStringAsync("/otlp/config", TestContext.Current.CancellationToken))!;
        using var post = await http.PostAsync("/otlp/v1/traces", Json(Export("00f067aa0ba902b9", "message")), TestContext.Current.CancellationToken);

        Assert.False((bool)config["enabled"]!);
        Assert.Null(config["tracesUrl"]);
        Assert.Equal(HttpStatusCode.NotFound, post.StatusCode);
        Assert.Contains("Browser telemetry is off", await post.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Contains("Browser telemetry is off", web.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACollectorThatIsDownGets502AtOnceAndOneThatHangsGets504AfterTheForwardTimeout()
    {
        using var hanging = new HangingServer();
        await using var toDown = await StartWebAsync(new() { ["BrowserTelemetry__Endpoint"] = $"http://127.0.0.1:{ServiceProcess.FreeTcpPort()}" });
        await using var toHanging = await StartWebAsync(new()
        {
            ["BrowserTelemetry__Endpoint"] = hanging.Address.ToString(),
            ["BrowserTelemetry__ForwardTimeout"] = "00:00:01",
            ["BrowserTelemetry__MaxConcurrentForwards"] = "2",
        });
        using var down = new HttpClient { BaseAddress = toDown.BaseAddress };
        using var slow = new HttpClient { BaseAddress = toHanging.BaseAddress };

        using var refused = await down.PostAsync("/otlp/v1/traces", Json(Export("00f067aa0ba902c1", "message")), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
        Assert.Contains("could not be reached", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        // Five at once to a collector that never answers: two wait for it (the forward limit), three are refused at once.
        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(async i =>
        {
            using var response = await slow.PostAsync("/otlp/v1/traces", Json(Export($"00f067aa0ba902d{i}", "message")), TestContext.Current.CancellationToken);
            return (response.StatusCode, Elapsed: clock.Elapsed, RetryAfter: response.Headers.RetryAfter?.Delta,
                Body: await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }));

        Assert.Equal(2, answers.Count(a => a.StatusCode == HttpStatusCode.GatewayTimeout));
        Assert.All(answers.Where(a => a.StatusCode == HttpStatusCode.GatewayTimeout), a =>
        {
            Assert.True(a.Elapsed >= TimeSpan.FromSeconds(0.9), $"504 after {a.Elapsed}");
            Assert.Contains("did not answer in time", a.Body, StringComparison.Ordinal);
        });
        var busy = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(3, busy.Count);
        Assert.All(busy, a =>
        {
            Assert.Equal(TimeSpan.FromSeconds(1), a.RetryAfter);
            Assert.Contains("busy", a.Body, StringComparison.Ordinal);
        });
        // The relay holds no more than its forwards: the collector saw two connections, not five.
        Assert.Equal(2, hanging.Connections);
    }

    [Fact]
    public async Task AFloodFromOneClientIsRefusedWith429AndWebKeepsServingThePageAndChats()
    {
        await using var receiver = await OtlpReceiver.StartAsync(TestContext.Current.CancellationToken);
        await using var site = await ChatSite.StartAsync(
            OfflineModelPacing.Fast,
            new Dictionary<string, string?>
            {
                ["BrowserTelemetry__Endpoint"] = receiver.HttpEndpoint.ToString(),
                ["BrowserTelemetry__RequestBurst"] = "10",
                ["BrowserTelemetry__RequestsPerMinute"] = "60",
            },
            new Dictionary<string, string?>(),
            TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = site.BaseAddress };
        var body = Export("00f067aa0ba902e1", "message");

        // 300 requests from 8 senders at once (bounded: it ends by itself), while a user loads the page and chats.
        string? refusal = null;
        var flood = Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 300 / 8; i++)
            {
                using var response = await http.PostAsync("/otlp/v1/traces", Json(body), TestContext.Current.CancellationToken);
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.TooManyRequests && response.Headers.RetryAfter is not null)
                {
                    refusal = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
                }
            }

            return statuses;
        }));
        using var page = await http.GetAsync("/", TestContext.Current.CancellationToken);
        var reply = await new WebSocketChat(site.BaseAddress).SendAsync("Still there during a flood?", traceparent: null, TestContext.Current.CancellationToken);
        var statuses = (await flood).SelectMany(s => s).ToList();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("stop", reply.FinishReason);
        Assert.Equal(statuses.Count, statuses.Count(s => s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests));
        // The burst, and about one a second after it: the flood lasted seconds at most.
        var forwarded = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(forwarded, 10, 40);
        Assert.Equal(forwarded, receiver.Requests.Count);
        Assert.Contains("Too many telemetry requests", refusal, StringComparison.Ordinal);
    }

    internal static Task<ServiceProcess> StartWebAsync(Dictionary<string, string?> environment) =>
        ServiceProcess.StartAsync("AspireChat.Web", environment, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>An OTLP/HTTP JSON ExportTraceServiceRequest with one span, as the page's exporter writes it.</summary>
    private static string Export(string spanId, string name) => new JsonObject
    {
        ["resourceSpans"] = new JsonArray(new JsonObject
        {
            ["resource"] = new JsonObject { ["attributes"] = new JsonArray(new JsonObject { ["key"] = "service.name", ["value"] = new JsonObject { ["stringValue"] = "browser" } }) },
            ["scopeSpans"] = new JsonArray(new JsonObject
            {
                ["scope"] = new JsonObject { ["name"] = "AspireChat.Web.Page" },
                ["spans"] = new JsonArray(new JsonObject
                {
                    ["traceId"] = TraceId,
                    ["spanId"] = spanId,
                    ["name"] = name,
                    ["kind"] = 3,
                    ["startTimeUnixNano"] = "1796496480962400146",
                    ["endTimeUnixNano"] = "1796496482698200195",
                }),
            }),
        }),
    }.ToJsonString();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>A collector that accepts connections and never answers: a slow or stuck dashboard.</summary>
    private sealed class HangingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<TcpClient> _clients = [];
        private int _connections;

        public HangingServer()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

        public int Connections => Volatile.Read(ref _connections);

        public void Dispose()
        {
            _listener.Stop();
            lock (_clients)
            {
                _clients.ForEach(c => c.Dispose());
            }
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync();
                    Interlocked.Increment(ref _connections);
                    lock (_clients)
                    {
                        _clients.Add(client);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }
    }
}

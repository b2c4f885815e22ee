using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace AspireChat.MockOpenAI;

/// <summary>
/// An OpenAI-compatible chat completions server on 127.0.0.1, hosted in the caller's process:
/// point an OpenAI client's endpoint at <see cref="BaseAddress"/>.
/// </summary>
public sealed class MockOpenAIServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private readonly MockRequestLog _log;
    private readonly TokenPacer _pacer;

    private MockOpenAIServer(WebApplication app, CancellationTokenSource stopping, MockRequestLog log, TokenPacer pacer, MockOpenAIOptions options, Uri baseAddress, Uri http2BaseAddress)
    {
        _app = app;
        _stopping = stopping;
        _log = log;
        _pacer = pacer;
        Options = options;
        BaseAddress = baseAddress;
        Http2BaseAddress = http2BaseAddress;
    }

    /// <summary>The OpenAI base address, ending in <c>/v1/</c>: HTTP/1.1 (Kestrel serves HTTP/2 in cleartext only on a port of its own).</summary>
    public Uri BaseAddress { get; }

    /// <summary>
    /// The same API over HTTP/2 only, in cleartext: a client must speak HTTP/2 from its first byte (prior knowledge),
    /// as it does over TLS to a provider that offers HTTP/2.
    /// </summary>
    public Uri Http2BaseAddress { get; }

    public MockOpenAIOptions Options { get; }

    /// <summary>Every request received so far, oldest first (empty when <see cref="MockOpenAIOptions.RecordRequests"/> is off).</summary>
    public IReadOnlyList<MockChatRequest> Requests => _log.Snapshot();

    /// <summary>Starts listening on <see cref="MockOpenAIOptions.Port"/> (0: a free port) and returns once it accepts requests.</summary>
    public static async Task<MockOpenAIServer> StartAsync(MockOpenAIOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        // The empty builder has no logging, configuration or middleware: nothing but Kestrel on the per-token path.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(MockOpenAIServer).Assembly.GetName().Name });
        ListenOptions? http1 = null, http2 = null;
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, options.Port, listen => http1 = listen);
            kestrel.Listen(IPAddress.Loopback, options.Http2Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                http2 = listen;
            });
        });
        // The mock stands in for a model on the benchmark's harness core, whose every microsecond is taken from the
        // load generator: socket completions and sends run where they happen (for a token, the pacer's thread)
        // instead of hopping to the thread pool. Nothing the mock runs blocks.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var app = builder.Build();
        var stopping = new CancellationTokenSource();
        var log = new MockRequestLog(options.RecordRequests);
        var pacer = new TokenPacer();
        var endpoint = new ChatCompletionsEndpoint(options, log, pacer, stopping.Token);
        app.MapPost("/v1/chat/completions", endpoint.HandleAsync);
        app.MapGet("/health", static context => context.Response.WriteAsync("Healthy", context.RequestAborted));
        app.UseWebSockets();
        app.Map("/ws", IdleWebSocket.HoldAsync);

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            stopping.Dispose();
            await app.DisposeAsync();
            pacer.Dispose();
            throw;
        }

        // Kestrel writes the port it bound (port 0: a free one) back into each endpoint's options.
        return new MockOpenAIServer(app, stopping, log, pacer, options, BaseAddressOf(http1!), BaseAddressOf(http2!));
    }

    private static Uri BaseAddressOf(ListenOptions listen) => new($"http://{listen.IPEndPoint}/v1/");

    /// <summary>Ends every stream still open (stalled ones included) and stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
        _stopping.Dispose();
        _pacer.Dispose();
    }
}

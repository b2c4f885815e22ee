using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using AspireChat.Tests.Fixtures.Otlp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace AspireChat.Tests.Fixtures;

/// <summary>
/// An OTLP collector for tests, standing in for the Aspire dashboard: Kestrel on loopback with one
/// port for OTLP/gRPC (HTTP/2 cleartext, the protocol Aspire configures by default) and one for
/// OTLP/HTTP, protobuf or JSON (the browser's spans, through Web's relay). It decodes what arrives and
/// records every request's headers and body, so a test can assert the spans, the metric names and the
/// <c>x-otlp-api-key</c> header a service really sent, and what a body did not hold.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private const string GrpcPrefix = "/opentelemetry.proto.collector.";
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly ConcurrentQueue<ReceivedMetric> _metrics = new();
    private readonly ConcurrentQueue<OtlpRequest> _requests = new();
    private int _logRecords;

    private OtlpReceiver(WebApplication app, int grpcPort, int httpPort)
    {
        _app = app;
        GrpcEndpoint = new Uri($"http://127.0.0.1:{grpcPort}");
        HttpEndpoint = new Uri($"http://127.0.0.1:{httpPort}");
    }

    /// <summary>The base address for <c>OTEL_EXPORTER_OTLP_PROTOCOL=grpc</c>.</summary>
    public Uri GrpcEndpoint { get; }

    /// <summary>The base address for <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c> (exporters append /v1/traces ...).</summary>
    public Uri HttpEndpoint { get; }

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    public IReadOnlyList<ReceivedMetric> Metrics => [.. _metrics];

    /// <summary>Every export request received, in order of arrival.</summary>
    public IReadOnlyList<OtlpRequest> Requests => [.. _requests];

    public int LogRecords => Volatile.Read(ref _logRecords);

    public static async Task<OtlpReceiver> StartAsync(CancellationToken cancellationToken = default)
    {
        // A free port can be taken by another process before Kestrel binds it: try again with new ones.
        for (var attempt = 1; ; attempt++)
        {
            var receiver = Create(ServiceProcess.FreeTcpPort(), ServiceProcess.FreeTcpPort());
            try
            {
                await receiver._app.StartAsync(cancellationToken);
                return receiver;
            }
            catch (IOException) when (attempt < 3)
            {
                await receiver._app.DisposeAsync();
            }
        }
    }

    private static OtlpReceiver Create(int grpcPort, int httpPort)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // gRPC without TLS needs HTTP/2 with prior knowledge: an HTTP/2-only listener.
            kestrel.Listen(IPAddress.Loopback, grpcPort, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, httpPort, listen => listen.Protocols = HttpProtocols.Http1AndHttp2);
            kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, grpcPort, httpPort);
        app.Run(receiver.HandleAsync);
        return receiver;
    }

    /// <summary>
    /// Waits until the spans received so far satisfy <paramref name="condition"/> (exporters batch,
    /// so spans arrive a second or so after they end) and returns them; on timeout, returns what came.
    /// </summary>
    public async Task<IReadOnlyList<ReceivedSpan>> WaitForSpansAsync(
        Func<IReadOnlyList<ReceivedSpan>, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var spans = Spans;
            if (condition(spans) || clock.Elapsed > timeout)
            {
                return spans;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Waits until a metric named <paramref name="name"/> arrived; false on timeout.</summary>
    public async Task<bool> WaitForMetricAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_metrics.Any(metric => metric.Name == name))
            {
                return true;
            }

            await Task.Delay(100, cancellationToken);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        var isGrpc = path.StartsWith(GrpcPrefix, StringComparison.Ordinal);
        var signal = Signal(path);
        if (context.Request.Method != HttpMethods.Post || signal is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var payload = isGrpc ? UnframeGrpc(body.ToArray()) : body.ToArray();
        var isJson = !isGrpc && context.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true;
        _requests.Enqueue(new OtlpRequest(
            isGrpc ? "grpc" : isJson ? "http/json" : "http/protobuf",
            signal,
            context.Request.Protocol,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            payload));

        switch (signal)
        {
            case "traces" when isJson:
                foreach (var span in OtlpJsonDecoder.DecodeTraces(payload))
                {
                    _spans.Enqueue(span);
                }

                break;
            case "traces":
                foreach (var span in OtlpDecoder.DecodeTraces(payload))
                {
                    _spans.Enqueue(span);
                }

                break;
            case "metrics":
                foreach (var metric in OtlpDecoder.DecodeMetrics(payload))
                {
                    _metrics.Enqueue(metric);
                }

                break;
            default:
                Interlocked.Add(ref _logRecords, OtlpDecoder.CountLogRecords(payload));
                break;
        }

        if (isGrpc)
        {
            // An empty Export*ServiceResponse in one gRPC message frame, then status OK in the trailers.
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
            context.Response.AppendTrailer("grpc-status", "0");
        }
        else if (isJson)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{}", context.RequestAborted);
        }
        else
        {
            context.Response.ContentType = "application/x-protobuf";
        }
    }

    /// <summary>traces, metrics or logs, from either protocol's path; null for anything else.</summary>
    private static string? Signal(string path) => path switch
    {
        "/v1/traces" or "/opentelemetry.proto.collector.trace.v1.TraceService/Export" => "traces",
        "/v1/metrics" or "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export" => "metrics",
        "/v1/logs" or "/opentelemetry.proto.collector.logs.v1.LogsService/Export" => "logs",
        _ => null,
    };

    /// <summary>A gRPC message: 1-byte compressed flag, 4-byte big-endian length, then the protobuf message.</summary>
    private static byte[] UnframeGrpc(byte[] frame)
    {
        if (frame.Length < 5)
        {
            throw new InvalidDataException($"A gRPC message has a 5-byte prefix; got {frame.Length} bytes.");
        }

        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1, 4));
        var message = frame.AsSpan(5, length).ToArray();
        if (frame[0] == 0)
        {
            return message;
        }

        // Compressed with the grpc-encoding the exporter announced; the OTLP exporters use gzip.
        using var gzip = new GZipStream(new MemoryStream(message), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        return plain.ToArray();
    }
}

/// <summary>One OTLP export request: the protocol, the signal, the HTTP version, the headers it carried and its body (unframed).</summary>
public sealed record OtlpRequest(string Protocol, string Signal, string HttpVersion, IReadOnlyDictionary<string, string> Headers, byte[] Body);

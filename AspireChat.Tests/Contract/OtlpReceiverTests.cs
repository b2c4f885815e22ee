using System.Diagnostics;
using System.Diagnostics.Metrics;
using AspireChat.Tests.Fixtures;
using AspireChat.Tests.Fixtures.Otlp;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AspireChat.Tests.Contract;

/// <summary>
/// The receiver and its decoder are the instrument the contract tests read with, so they are checked
/// against bytes from the real OpenTelemetry OTLP exporter, over both protocols.
/// </summary>
public sealed class OtlpReceiverTests
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task DecodesEverySpanFieldTheRealExporterSends(OtlpExportProtocol protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(TestContext.Current.CancellationToken);
        using var source = new ActivitySource("AspireChat.Tests.Otlp");
        var remoteParent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        string sentSpanId;

        using (var tracing = Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource => resource.Clear().AddService("otlp-test", serviceInstanceId: "instance-1"))
            .AddSource(source.Name)
            .AddOtlpExporter(otlp => Configure(otlp, receiver, protocol, "/v1/traces"))
            .Build())
        {
            using (var activity = source.StartActivity("chat gpt-test", ActivityKind.Client, remoteParent)!)
            {
                sentSpanId = activity.SpanId.ToHexString();
                activity.SetTag("gen_ai.request.model", "gpt-test");
                activity.SetTag("gen_ai.usage.input_tokens", 42);
                activity.SetTag("gen_ai.response.time_to_first_chunk", 0.25);
                activity.SetTag("gen_ai.is_stream", true);
                activity.SetTag("gen_ai.response.finish_reasons", new[] { "stop", "length" });
                activity.AddEvent(new ActivityEvent("gen_ai.first_chunk", tags: new ActivityTagsCollection { ["seq"] = 1 }));
                activity.SetStatus(ActivityStatusCode.Error, "model failed");
            }

            Assert.True(tracing.ForceFlush(10_000), "The exporter did not flush.");
        }

        var spans = await receiver.WaitForSpansAsync(s => s.Count > 0, ExportTimeout, TestContext.Current.CancellationToken);
        var span = Assert.Single(spans);
        Assert.Equal(remoteParent.TraceId.ToHexString(), span.TraceId);
        Assert.Equal(sentSpanId, span.SpanId);
        Assert.Equal(remoteParent.SpanId.ToHexString(), span.ParentSpanId);
        Assert.Equal("chat gpt-test", span.Name);
        Assert.Equal(OtlpSpanKind.Client, span.Kind);
        Assert.True(span.EndUnixNano >= span.StartUnixNano && span.StartUnixNano > 0, $"start {span.StartUnixNano}, end {span.EndUnixNano}");
        Assert.Equal("gpt-test", span.Attribute("gen_ai.request.model"));
        Assert.Equal(42L, span.Attribute("gen_ai.usage.input_tokens"));
        Assert.Equal(0.25, span.Attribute("gen_ai.response.time_to_first_chunk"));
        Assert.Equal(true, span.Attribute("gen_ai.is_stream"));
        Assert.Equal(new object?[] { "stop", "length" }, span.Attribute("gen_ai.response.finish_reasons"));
        var firstChunk = Assert.Single(span.Events);
        Assert.Equal("gen_ai.first_chunk", firstChunk.Name);
        Assert.Equal(1L, firstChunk.Attributes["seq"]);
        Assert.InRange(firstChunk.TimeUnixNano, span.StartUnixNano, span.EndUnixNano);
        Assert.Equal(OtlpStatusCode.Error, span.StatusCode);
        Assert.Equal("model failed", span.StatusMessage);
        Assert.Equal("AspireChat.Tests.Otlp", span.ScopeName);
        Assert.Equal("otlp-test", span.ServiceName);
        Assert.Equal("instance-1", span.Resource["service.instance.id"]);

        var request = Assert.Single(receiver.Requests);
        Assert.Equal(protocol == OtlpExportProtocol.Grpc ? "grpc" : "http/protobuf", request.Protocol);
        Assert.Equal("secret-key", request.Headers["x-otlp-api-key"]);
        if (protocol == OtlpExportProtocol.Grpc)
        {
            Assert.Equal("HTTP/2", request.HttpVersion);
        }
    }

    [Theory]
    [InlineData(OtlpExportProtocol.Grpc)]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    public async Task DecodesTheNamesAndUnitsOfExportedMetrics(OtlpExportProtocol protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(TestContext.Current.CancellationToken);
        using var meter = new Meter("AspireChat.Tests.OtlpMetrics");
        var duration = meter.CreateHistogram<double>("gen_ai.client.operation.duration", unit: "s");

        using (var metrics = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.Clear().AddService("otlp-test"))
            .AddMeter(meter.Name)
            .AddOtlpExporter(otlp => Configure(otlp, receiver, protocol, "/v1/metrics"))
            .Build())
        {
            duration.Record(1.5);
            Assert.True(metrics.ForceFlush(10_000), "The exporter did not flush.");
        }

        Assert.True(await receiver.WaitForMetricAsync("gen_ai.client.operation.duration", ExportTimeout, TestContext.Current.CancellationToken));
        // Flush and then dispose each export the cumulative stream, so it may arrive more than once.
        var metric = receiver.Metrics.First(m => m.Name == "gen_ai.client.operation.duration");
        Assert.Equal("s", metric.Unit);
        Assert.Equal("AspireChat.Tests.OtlpMetrics", metric.ScopeName);
        Assert.Equal("otlp-test", metric.ServiceName);
    }

    private static void Configure(OtlpExporterOptions otlp, OtlpReceiver receiver, OtlpExportProtocol protocol, string httpPath)
    {
        otlp.Protocol = protocol;
        // Set in code, the HTTP endpoint is the signal's full URL; gRPC takes the base address.
        otlp.Endpoint = protocol == OtlpExportProtocol.Grpc ? receiver.GrpcEndpoint : new Uri(receiver.HttpEndpoint, httpPath);
        otlp.Headers = "x-otlp-api-key=secret-key";
        otlp.ExportProcessorType = ExportProcessorType.Simple;
    }
}

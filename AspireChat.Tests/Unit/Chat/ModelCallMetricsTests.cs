using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;

namespace AspireChat.Tests.Unit.Chat;

/// <summary>The GenAI client metrics of one model call, with the attributes the semantic conventions ask for.</summary>
public sealed class ModelCallMetricsTests
{
    [Fact]
    public void AModelCallRecordsItsDurationAndItsInputAndOutputTokens()
    {
        // A model name of its own: other tests record on the same meter at the same time.
        var model = "metrics-test-" + Guid.NewGuid().ToString("N");
        var measurements = Listen(model, out var listener);
        using (listener)
        {
            ChatTelemetry.RecordModelCall(TimeSpan.FromMilliseconds(1500), "openai", model, new TokenUsage(42, 17, 59), failure: null);
        }

        var duration = Assert.Single(measurements, m => m.Name == "gen_ai.client.operation.duration");
        Assert.Equal(1.5, duration.Value);
        Assert.Equal("chat", duration.Tags["gen_ai.operation.name"]);
        Assert.Equal("openai", duration.Tags["gen_ai.provider.name"]);
        Assert.False(duration.Tags.ContainsKey("error.type"));
        var tokens = measurements.Where(m => m.Name == "gen_ai.client.token.usage").ToDictionary(m => (string)m.Tags["gen_ai.token.type"]!, m => m.Value);
        Assert.Equal(new Dictionary<string, double> { ["input"] = 42, ["output"] = 17 }, tokens);
    }

    [Fact]
    public void AFailedCallRecordsItsErrorTypeAndNoTokensWhenTheModelReportedNone()
    {
        var model = "metrics-test-" + Guid.NewGuid().ToString("N");
        var measurements = Listen(model, out var listener);
        using (listener)
        {
            ChatTelemetry.RecordModelCall(TimeSpan.FromSeconds(2), "openai", model, usage: null, new TimeoutException());
        }

        var duration = Assert.Single(measurements);
        Assert.Equal("gen_ai.client.operation.duration", duration.Name);
        Assert.Equal(typeof(TimeoutException).FullName, duration.Tags["error.type"]);
    }

    private sealed record Measurement(string Name, double Value, IReadOnlyDictionary<string, object?> Tags);

    private static ConcurrentQueue<Measurement> Listen(string model, out MeterListener listener)
    {
        var measurements = new ConcurrentQueue<Measurement>();
        listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ChatTelemetry.SourceName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            if (map.TryGetValue("gen_ai.request.model", out var tagged) && (string?)tagged == model)
            {
                measurements.Enqueue(new Measurement(instrument.Name, value, map));
            }
        }

        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();
        return measurements;
    }
}

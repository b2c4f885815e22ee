using AspireChat.Tests.Fixtures.Otlp;

namespace AspireChat.Tests.Contract;

/// <summary>Assertions about the shape of a received trace.</summary>
public static class TraceAssert
{
    /// <summary>The scope of Redis command spans: OpenTelemetry's StackExchange.Redis instrumentation, as Aspire.StackExchange.Redis carries it.</summary>
    public const string RedisScope = "OpenTelemetry.Instrumentation.StackExchangeRedis";

    /// <summary>
    /// Every span's parent chain stays inside the trace and ends at <paramref name="rootParentSpanId"/>
    /// (the browser's span, which is not exported): one tree, no orphans, no second root.
    /// </summary>
    public static void Connected(IReadOnlyList<ReceivedSpan> trace, string rootParentSpanId)
    {
        Assert.NotEmpty(trace);
        var byId = trace.ToDictionary(s => s.SpanId);
        foreach (var span in trace)
        {
            var current = span;
            var hops = 0;
            while (current.ParentSpanId != rootParentSpanId)
            {
                Assert.True(
                    byId.TryGetValue(current.ParentSpanId, out var parent) && ++hops < 64,
                    $"{span} does not lead back to the browser's span {rootParentSpanId}: its ancestor {current} has a parent that is not in the trace.{Environment.NewLine}{Describe(trace)}");
                current = parent!;
            }
        }
    }

    /// <summary>True when <paramref name="span"/> has <paramref name="ancestorSpanId"/> somewhere above it.</summary>
    public static bool IsDescendant(IReadOnlyList<ReceivedSpan> trace, ReceivedSpan span, string ancestorSpanId)
    {
        var byId = trace.ToDictionary(s => s.SpanId);
        for (var current = span; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            if (parent.SpanId == ancestorSpanId)
            {
                return true;
            }
        }

        return false;
    }

    public static string Describe(IEnumerable<ReceivedSpan> spans) => string.Join(Environment.NewLine, spans.Select(s => "  " + s));
}

using System.Diagnostics;

namespace AspireChat.Tests.Fixtures;

/// <summary>The trace a browser starts for one user message: what the page puts in the frame's <c>traceparent</c>.</summary>
public sealed record BrowserTrace(string TraceId, string SpanId)
{
    public string Traceparent => $"00-{TraceId}-{SpanId}-01";

    public static BrowserTrace New() => new(ActivityTraceId.CreateRandom().ToHexString(), ActivitySpanId.CreateRandom().ToHexString());
}

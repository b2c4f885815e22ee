namespace AspireChat.Tests.Fixtures.Otlp;

/// <summary>One span as it arrived at the OTLP receiver, with the resource and scope it came from.</summary>
public sealed record ReceivedSpan(
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    OtlpSpanKind Kind,
    ulong StartUnixNano,
    ulong EndUnixNano,
    IReadOnlyDictionary<string, object?> Attributes,
    IReadOnlyList<ReceivedSpanEvent> Events,
    IReadOnlyList<ReceivedSpanLink> Links,
    OtlpStatusCode StatusCode,
    string StatusMessage,
    string ScopeName,
    IReadOnlyDictionary<string, object?> Resource)
{
    /// <summary>The resource's <c>service.name</c>: which service sent the span.</summary>
    public string ServiceName => Resource.TryGetValue("service.name", out var name) ? name as string ?? "" : "";

    public bool IsRoot => ParentSpanId.Length == 0;

    public TimeSpan Duration => TimeSpan.FromTicks((long)((EndUnixNano - StartUnixNano) / 100));

    public object? Attribute(string key) => Attributes.TryGetValue(key, out var value) ? value : null;

    public override string ToString() => $"{ServiceName}: {Name} ({Kind}) {SpanId} <- {(IsRoot ? "root" : ParentSpanId)}";
}

/// <summary>A span event (e.g. the first chunk of a reply).</summary>
public sealed record ReceivedSpanEvent(string Name, ulong TimeUnixNano, IReadOnlyDictionary<string, object?> Attributes);

/// <summary>A link to a span of another trace (e.g. from a reply to the connection that carried it).</summary>
public sealed record ReceivedSpanLink(string TraceId, string SpanId);

/// <summary>One metric stream's name and unit, with the service that sent it.</summary>
public sealed record ReceivedMetric(string Name, string Unit, string ScopeName, string ServiceName);

/// <summary>opentelemetry.proto.trace.v1.Span.OtlpSpanKind.</summary>
public enum OtlpSpanKind
{
    Unspecified = 0,
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5,
}

/// <summary>opentelemetry.proto.trace.v1.Status.StatusCode.</summary>
public enum OtlpStatusCode
{
    Unset = 0,
    Ok = 1,
    Error = 2,
}

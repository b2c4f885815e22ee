using Google.Protobuf;

namespace AspireChat.Tests.Fixtures.Otlp;

/// <summary>
/// Reads OTLP export requests (opentelemetry-proto, collector v1) straight from the protobuf wire
/// format with <see cref="CodedInputStream"/>: no generated code, so what is asserted is what the
/// exporter really sent. Field numbers are those of opentelemetry/proto/{trace,metrics,common,resource}/v1.
/// Unknown fields are skipped, as protobuf requires.
/// </summary>
public static class OtlpDecoder
{
    /// <summary>ExportTraceServiceRequest: 1 resource_spans.</summary>
    public static IReadOnlyList<ReceivedSpan> DecodeTraces(ReadOnlySpan<byte> request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var resourceSpans in Repeated(request, 1))
        {
            // ResourceSpans: 1 resource, 2 scope_spans.
            var resource = ReadResource(resourceSpans, 1);
            foreach (var scopeSpans in Repeated(resourceSpans, 2))
            {
                // ScopeSpans: 1 scope, 2 spans.
                var scopeName = ReadScopeName(scopeSpans);
                foreach (var span in Repeated(scopeSpans, 2))
                {
                    spans.Add(ReadSpan(span, scopeName, resource));
                }
            }
        }

        return spans;
    }

    /// <summary>ExportMetricsServiceRequest: 1 resource_metrics. Only each metric's name and unit are read.</summary>
    public static IReadOnlyList<ReceivedMetric> DecodeMetrics(ReadOnlySpan<byte> request)
    {
        var metrics = new List<ReceivedMetric>();
        foreach (var resourceMetrics in Repeated(request, 1))
        {
            // ResourceMetrics: 1 resource, 2 scope_metrics.
            var resource = ReadResource(resourceMetrics, 1);
            var serviceName = resource.TryGetValue("service.name", out var name) ? name as string ?? "" : "";
            foreach (var scopeMetrics in Repeated(resourceMetrics, 2))
            {
                // ScopeMetrics: 1 scope, 2 metrics; Metric: 1 name, 2 description, 3 unit.
                var scopeName = ReadScopeName(scopeMetrics);
                foreach (var metric in Repeated(scopeMetrics, 2))
                {
                    string metricName = "", unit = "";
                    var input = new CodedInputStream(metric);
                    for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
                    {
                        switch (WireFormat.GetTagFieldNumber(tag))
                        {
                            case 1: metricName = input.ReadString(); break;
                            case 3: unit = input.ReadString(); break;
                            default: input.SkipLastField(); break;
                        }
                    }

                    metrics.Add(new ReceivedMetric(metricName, unit, scopeName, serviceName));
                }
            }
        }

        return metrics;
    }

    /// <summary>ExportLogsServiceRequest: 1 resource_logs; ResourceLogs: 2 scope_logs; ScopeLogs: 2 log_records.</summary>
    public static int CountLogRecords(ReadOnlySpan<byte> request)
    {
        var count = 0;
        foreach (var resourceLogs in Repeated(request, 1))
        {
            foreach (var scopeLogs in Repeated(resourceLogs, 2))
            {
                count += Repeated(scopeLogs, 2).Count;
            }
        }

        return count;
    }

    private static ReceivedSpan ReadSpan(byte[] bytes, string scopeName, IReadOnlyDictionary<string, object?> resource)
    {
        string traceId = "", spanId = "", parentSpanId = "", name = "", statusMessage = "";
        var kind = OtlpSpanKind.Unspecified;
        var statusCode = OtlpStatusCode.Unset;
        ulong start = 0, end = 0;
        var attributes = new Dictionary<string, object?>();
        var events = new List<ReceivedSpanEvent>();
        var links = new List<ReceivedSpanLink>();
        var input = new CodedInputStream(bytes);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Hex(input.ReadBytes()); break;
                case 2: spanId = Hex(input.ReadBytes()); break;
                case 4: parentSpanId = Hex(input.ReadBytes()); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = (OtlpSpanKind)input.ReadEnum(); break;
                case 7: start = input.ReadFixed64(); break;
                case 8: end = input.ReadFixed64(); break;
                case 9: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); break;
                case 11: events.Add(ReadEvent(input.ReadBytes().ToByteArray())); break;
                case 13: links.Add(ReadLink(input.ReadBytes().ToByteArray())); break;
                case 15: (statusCode, statusMessage) = ReadStatus(input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }

        return new ReceivedSpan(traceId, spanId, parentSpanId, name, kind, start, end, attributes, events, links, statusCode, statusMessage, scopeName, resource);
    }

    /// <summary>Span.Event: 1 time_unix_nano, 2 name, 3 attributes.</summary>
    private static ReceivedSpanEvent ReadEvent(byte[] bytes)
    {
        ulong time = 0;
        var name = "";
        var attributes = new Dictionary<string, object?>();
        var input = new CodedInputStream(bytes);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: time = input.ReadFixed64(); break;
                case 2: name = input.ReadString(); break;
                case 3: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }

        return new ReceivedSpanEvent(name, time, attributes);
    }

    /// <summary>Status: 2 message, 3 code (1 is reserved).</summary>
    /// <summary>Span.Link: 1 trace_id, 2 span_id.</summary>
    private static ReceivedSpanLink ReadLink(byte[] bytes)
    {
        string traceId = "", spanId = "";
        var input = new CodedInputStream(bytes);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Hex(input.ReadBytes()); break;
                case 2: spanId = Hex(input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }

        return new ReceivedSpanLink(traceId, spanId);
    }

    private static (OtlpStatusCode Code, string Message) ReadStatus(byte[] bytes)
    {
        var code = OtlpStatusCode.Unset;
        var message = "";
        var input = new CodedInputStream(bytes);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 2: message = input.ReadString(); break;
                case 3: code = (OtlpStatusCode)input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }

        return (code, message);
    }

    /// <summary>Resource (1 attributes) held in field <paramref name="field"/> of the enclosing message.</summary>
    private static Dictionary<string, object?> ReadResource(byte[] parent, int field)
    {
        var attributes = new Dictionary<string, object?>();
        foreach (var resource in Repeated(parent, field))
        {
            foreach (var keyValue in Repeated(resource, 1))
            {
                AddKeyValue(attributes, keyValue);
            }
        }

        return attributes;
    }

    /// <summary>InstrumentationScope (1 name) in field 1 of ScopeSpans / ScopeMetrics.</summary>
    private static string ReadScopeName(byte[] scoped)
    {
        foreach (var scope in Repeated(scoped, 1))
        {
            var input = new CodedInputStream(scope);
            for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
            {
                if (WireFormat.GetTagFieldNumber(tag) == 1)
                {
                    return input.ReadString();
                }

                input.SkipLastField();
            }
        }

        return "";
    }

    /// <summary>KeyValue: 1 key, 2 value (AnyValue).</summary>
    private static void AddKeyValue(Dictionary<string, object?> into, byte[] bytes)
    {
        var key = "";
        object? value = null;
        var input = new CodedInputStream(bytes);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = input.ReadString(); break;
                case 2: value = ReadAnyValue(input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }

        into[key] = value;
    }

    /// <summary>
    /// AnyValue: 1 string, 2 bool, 3 int64, 4 double, 5 array (ArrayValue: 1 values),
    /// 6 kvlist (KeyValueList: 1 values), 7 bytes. Arrays become <c>object?[]</c>.
    /// </summary>
    private static object? ReadAnyValue(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        object? value = null;
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: value = input.ReadString(); break;
                case 2: value = input.ReadBool(); break;
                case 3: value = input.ReadInt64(); break;
                case 4: value = input.ReadDouble(); break;
                case 5: value = Repeated(input.ReadBytes().ToByteArray(), 1).Select(ReadAnyValue).ToArray(); break;
                case 6:
                    var map = new Dictionary<string, object?>();
                    foreach (var keyValue in Repeated(input.ReadBytes().ToByteArray(), 1))
                    {
                        AddKeyValue(map, keyValue);
                    }

                    value = map;
                    break;
                case 7: value = input.ReadBytes().ToByteArray(); break;
                default: input.SkipLastField(); break;
            }
        }

        return value;
    }

    /// <summary>Every occurrence of the length-delimited field <paramref name="field"/>, in order.</summary>
    private static List<byte[]> Repeated(ReadOnlySpan<byte> message, int field)
    {
        var values = new List<byte[]>();
        var input = new CodedInputStream(message.ToArray());
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                values.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return values;
    }

    private static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}

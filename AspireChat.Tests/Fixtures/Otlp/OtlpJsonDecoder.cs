using System.Globalization;
using System.Text.Json;

namespace AspireChat.Tests.Fixtures.Otlp;

/// <summary>
/// Reads OTLP/HTTP JSON trace requests (what the browser's OpenTelemetry JS exporter sends through Web's relay) into
/// the same <see cref="ReceivedSpan"/>s as <see cref="OtlpDecoder"/>, following the OTLP JSON mapping: ids as hex
/// strings, 64-bit integers as strings or numbers, enums as numbers, <c>lowerCamelCase</c> field names.
/// </summary>
public static class OtlpJsonDecoder
{
    public static IReadOnlyList<ReceivedSpan> DecodeTraces(ReadOnlySpan<byte> request)
    {
        var spans = new List<ReceivedSpan>();
        using var document = JsonDocument.Parse(request.ToArray());
        foreach (var resourceSpans in Array(document.RootElement, "resourceSpans"))
        {
            var resource = resourceSpans.TryGetProperty("resource", out var r) ? Attributes(r) : new Dictionary<string, object?>();
            foreach (var scopeSpans in Array(resourceSpans, "scopeSpans"))
            {
                var scopeName = scopeSpans.TryGetProperty("scope", out var scope) ? String(scope, "name") : "";
                foreach (var span in Array(scopeSpans, "spans"))
                {
                    var status = span.TryGetProperty("status", out var s) ? s : default;
                    spans.Add(new ReceivedSpan(
                        String(span, "traceId"),
                        String(span, "spanId"),
                        String(span, "parentSpanId"),
                        String(span, "name"),
                        (OtlpSpanKind)Number(span, "kind"),
                        Number(span, "startTimeUnixNano"),
                        Number(span, "endTimeUnixNano"),
                        Attributes(span),
                        [.. Array(span, "events").Select(e => new ReceivedSpanEvent(String(e, "name"), Number(e, "timeUnixNano"), Attributes(e)))],
                        [.. Array(span, "links").Select(l => new ReceivedSpanLink(String(l, "traceId"), String(l, "spanId")))],
                        status.ValueKind == JsonValueKind.Object ? (OtlpStatusCode)Number(status, "code") : OtlpStatusCode.Unset,
                        status.ValueKind == JsonValueKind.Object ? String(status, "message") : "",
                        scopeName,
                        resource));
                }
            }
        }

        return spans;
    }

    private static IEnumerable<JsonElement> Array(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : Enumerable.Empty<JsonElement>();

    private static string String(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    /// <summary>A uint64 or enum: a JSON number, or a string of digits (how OTLP JSON writes 64-bit integers).</summary>
    private static ulong Number(JsonElement parent, string name) =>
        !parent.TryGetProperty(name, out var value) ? 0
        : value.ValueKind == JsonValueKind.Number ? value.GetUInt64()
        : ulong.Parse(value.GetString()!, CultureInfo.InvariantCulture);

    private static Dictionary<string, object?> Attributes(JsonElement parent)
    {
        var attributes = new Dictionary<string, object?>();
        foreach (var pair in Array(parent, "attributes"))
        {
            attributes[String(pair, "key")] = pair.TryGetProperty("value", out var value) ? AnyValue(value) : null;
        }

        return attributes;
    }

    private static object? AnyValue(JsonElement value)
    {
        foreach (var property in value.EnumerateObject())
        {
            return property.Name switch
            {
                "stringValue" => property.Value.GetString(),
                "boolValue" => property.Value.GetBoolean(),
                "intValue" => property.Value.ValueKind == JsonValueKind.Number ? property.Value.GetInt64() : long.Parse(property.Value.GetString()!, CultureInfo.InvariantCulture),
                "doubleValue" => property.Value.GetDouble(),
                "arrayValue" => Array(property.Value, "values").Select(AnyValue).ToArray(),
                _ => null,
            };
        }

        return null;
    }
}

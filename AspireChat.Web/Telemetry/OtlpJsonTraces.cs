using System.Text.Json;

namespace AspireChat.Web.Telemetry;

/// <summary>
/// Checks that a body is an OTLP/HTTP JSON <c>ExportTraceServiceRequest</c> before it is forwarded: an object whose
/// <c>resourceSpans</c> hold <c>scopeSpans</c> whose <c>spans</c> each have a hex <c>traceId</c> (16 bytes), a hex
/// <c>spanId</c> (8 bytes) and a <c>name</c>. Unknown fields are allowed, as OTLP requires; anything else is refused, so
/// the relay is no way to post arbitrary bytes to the collector with the server's key.
/// </summary>
public static class OtlpJsonTraces
{
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 32 };

    /// <summary>The number of spans in <paramref name="body"/>, or null with <paramref name="problem"/> saying why it is not OTLP.</summary>
    public static int? CountSpans(ReadOnlyMemory<byte> body, out string problem)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, s_options);
        }
        catch (JsonException)
        {
            problem = "The body is not JSON.";
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceSpans", out _))
            {
                problem = "The body is not an OTLP ExportTraceServiceRequest: it has no resourceSpans.";
                return null;
            }

            var count = 0;
            foreach (var resource in Objects(root, "resourceSpans"))
            {
                foreach (var scope in Objects(resource, "scopeSpans"))
                {
                    foreach (var span in Objects(scope, "spans"))
                    {
                        if (span is not { } valid || !IsHexId(valid, "traceId", 32) || !IsHexId(valid, "spanId", 16)
                            || !valid.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                        {
                            problem = "A span needs a hex traceId (32 digits), a hex spanId (16 digits) and a name.";
                            return null;
                        }

                        count++;
                    }
                }
            }

            problem = "";
            return count;
        }
    }

    /// <summary>
    /// The items of the optional array <paramref name="property"/> of <paramref name="parent"/>; an item that is not an
    /// object, or a property that is not an array, comes as null, which the caller refuses.
    /// </summary>
    private static IEnumerable<JsonElement?> Objects(JsonElement? parent, string property)
    {
        if (parent is not { ValueKind: JsonValueKind.Object } element || !element.TryGetProperty(property, out var array))
        {
            return parent is null ? [null] : [];
        }

        return array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(item => item.ValueKind == JsonValueKind.Object ? item : (JsonElement?)null)
            : [null];
    }

    private static bool IsHexId(JsonElement span, string property, int digits) =>
        span.TryGetProperty(property, out var id) && id.ValueKind == JsonValueKind.String
        && id.GetString() is { Length: var length } text && length == digits && text.All(char.IsAsciiHexDigit);
}

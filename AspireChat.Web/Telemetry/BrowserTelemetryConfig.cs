using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireChat.Web.Telemetry;

/// <summary>
/// What the page asks before it loads the OpenTelemetry SDK (<c>GET /otlp/config</c>): whether browser telemetry is on,
/// where to send spans (relative to the page) and under which service name.
/// </summary>
public sealed record BrowserTelemetryConfig(bool Enabled, string? TracesUrl = null, string? ServiceName = null);

/// <summary>Why the relay refused a request: its status, in a short sentence the page's console and a curl user can read.</summary>
public sealed record RelayProblem(int Status, string Title);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BrowserTelemetryConfig))]
[JsonSerializable(typeof(RelayProblem))]
internal sealed partial class TelemetryJsonContext : JsonSerializerContext;

using System.ComponentModel.DataAnnotations;

namespace AspireChat.Web.Telemetry;

/// <summary>
/// Where the page's spans go, through Web's relay (<c>/otlp/v1/traces</c>). Section <c>BrowserTelemetry</c>.
/// Without an <see cref="Endpoint"/> browser telemetry is off: the page sends nothing and the relay answers 404.
/// </summary>
public sealed class BrowserTelemetryOptions
{
    public const string SectionName = "BrowserTelemetry";

    /// <summary>
    /// An OTLP/HTTP endpoint's base address (as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> for <c>http/protobuf</c>); spans go to
    /// <c>{Endpoint}/v1/traces</c> as OTLP/HTTP JSON. Under the AppHost: the dashboard's OTLP/HTTP endpoint.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// Headers added to every forwarded request, in <c>OTEL_EXPORTER_OTLP_HEADERS</c>' format (<c>key=value,key2=value2</c>,
    /// values URL-encoded): the dashboard's <c>x-otlp-api-key</c>, a collector's credentials. They never reach the browser.
    /// </summary>
    public string Headers { get; set; } = "";

    /// <summary>The <c>service.name</c> the page puts on its spans.</summary>
    [Required]
    public string ServiceName { get; set; } = "browser";

    /// <summary>The largest export request taken; the page's batches are far smaller (a few KiB).</summary>
    [Range(1024, 4 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Export requests one client (by address) may send in a burst; the page sends about one a second while replies end.</summary>
    [Range(1, 10_000)]
    public int RequestBurst { get; set; } = 20;

    /// <summary>Export requests one client (by address) may send per minute once its burst is spent.</summary>
    [Range(1, 100_000)]
    public int RequestsPerMinute { get; set; } = 60;

    /// <summary>Forwards in flight at once, from every client together; more are refused at once (503), not queued.</summary>
    [Range(1, 1_000)]
    public int MaxConcurrentForwards { get; set; } = 8;

    /// <summary>How long one forward may take before the relay answers 504 (and the page drops the batch).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:01:00")]
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(5);

    public bool Enabled => Endpoint is not null;

    /// <summary>Where traces go: the endpoint with <c>v1/traces</c> after its path.</summary>
    public Uri TracesUri() => new(new Uri(Endpoint!.ToString().TrimEnd('/') + "/"), "v1/traces");

    /// <summary><see cref="Headers"/> as pairs: entries without a key or '=' are skipped.</summary>
    public IEnumerable<KeyValuePair<string, string>> ParsedHeaders()
    {
        foreach (var entry in Headers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                yield return new(entry[..equals].Trim(), Uri.UnescapeDataString(entry[(equals + 1)..].Trim()));
            }
        }
    }
}

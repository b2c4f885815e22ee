using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Contract;

/// <summary>
/// The environment Aspire 13 gives a project resource in run mode (read from Aspire 13.1's source; the Aspire tests
/// run the same services under the real 13.6 AppHost), written out by hand so the services can be tested against it
/// with variations Aspire does not make here (OTLP over HTTP, Redis over TLS): OTLP export to the dashboard (with its API key
/// header and the development batching delays), the resource identity, connection strings and
/// service discovery. See Aspire.Hosting's OtlpConfigurationExtensions and ResourceBuilderExtensions.
/// </summary>
public static class AspireEnvironment
{
    public const string OtlpApiKey = "contract-test-otlp-key";

    /// <summary>OTEL_* exactly as Aspire sets them for <paramref name="serviceName"/> (the resource's name).</summary>
    public static Dictionary<string, string?> Otlp(OtlpReceiver receiver, string protocol, string serviceName) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = (protocol == "grpc" ? receiver.GrpcEndpoint : receiver.HttpEndpoint).ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
        ["OTEL_EXPORTER_OTLP_HEADERS"] = $"x-otlp-api-key={OtlpApiKey}",
        ["OTEL_SERVICE_NAME"] = serviceName,
        ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={serviceName}-{Guid.NewGuid():N}",
        // Development: export within a second, sample everything.
        ["OTEL_BSP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "1000",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
        ["OTEL_TRACES_SAMPLER"] = "always_on",
        ["OTEL_METRICS_EXEMPLAR_FILTER"] = "trace_based",
        ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true",
        ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
    };

    /// <summary><c>WithReference(cache)</c>: the connection string.</summary>
    public static Dictionary<string, string?> Cache(string connectionString) => new()
    {
        ["ConnectionStrings__cache"] = connectionString,
    };

    /// <summary><c>WithReference(chatapi)</c>: service discovery's form and the 13.x <c>{NAME}_{ENDPOINT}</c> form.</summary>
    public static Dictionary<string, string?> ChatApi(Uri chatApi) => new()
    {
        ["services__chatapi__http__0"] = chatApi.ToString().TrimEnd('/'),
        ["CHATAPI_HTTP"] = chatApi.ToString().TrimEnd('/'),
    };

    public static Dictionary<string, string?> Merge(params Dictionary<string, string?>[] parts)
    {
        var merged = new Dictionary<string, string?>();
        foreach (var part in parts)
        {
            foreach (var (key, value) in part)
            {
                merged[key] = value;
            }
        }

        return merged;
    }
}

using AspireChat.MockOpenAI;
using AspireChat.Tests.Fixtures;

namespace AspireChat.Tests.Contract;

/// <summary>
/// AspireChat assembled the way the AppHost assembles it, without Aspire: an OTLP receiver in place
/// of the dashboard, the mock OpenAI server as the model (so the OpenAI SDK's own spans are real),
/// optionally a real redis-server as <c>cache</c>, and ChatApi and Web as separate processes given
/// exactly the environment Aspire 13 gives them.
/// </summary>
public sealed class ContractApp : IAsyncDisposable
{
    public const string ModelName = "gpt-4o-mini";

    private ContractApp(OtlpReceiver otlp, MockOpenAIServer model)
    {
        Otlp = otlp;
        Model = model;
    }

    public OtlpReceiver Otlp { get; }

    public MockOpenAIServer Model { get; }

    public ServiceProcess ChatApi { get; private set; } = null!;

    public ServiceProcess Web { get; private set; } = null!;

    /// <summary>
    /// Starts everything for OTLP <paramref name="protocol"/> (grpc or http/protobuf). With
    /// <paramref name="cacheConnectionString"/> ChatApi stores history in that Redis, as under
    /// <c>WithReference(cache)</c>; <paramref name="chatApiEnvironment"/> adds variables (e.g. SSL_CERT_DIR).
    /// </summary>
    public static async Task<ContractApp> StartAsync(
        string protocol,
        string? cacheConnectionString,
        IReadOnlyDictionary<string, string?>? chatApiEnvironment,
        CancellationToken cancellationToken)
    {
        var otlp = await OtlpReceiver.StartAsync(cancellationToken);
        var model = await MockOpenAIServer.StartAsync(
            new MockOpenAIOptions { TimeToFirstToken = TimeSpan.FromMilliseconds(100), TokenInterval = TimeSpan.FromMilliseconds(15), TokenCount = 8 },
            cancellationToken);
        var app = new ContractApp(otlp, model);
        try
        {
            var chatApi = AspireEnvironment.Merge(
                AspireEnvironment.Otlp(otlp, protocol, "chatapi"),
                cacheConnectionString is null ? [] : AspireEnvironment.Cache(cacheConnectionString),
                new()
                {
                    ["Model__Provider"] = "openai",
                    ["Model__Endpoint"] = model.BaseAddress.ToString(),
                    ["Model__ApiKey"] = "contract-test-key",
                    ["Model__Name"] = ModelName,
                },
                chatApiEnvironment is null ? [] : new Dictionary<string, string?>(chatApiEnvironment));
            app.ChatApi = await ServiceProcess.StartAsync("AspireChat.ChatApi", chatApi, readyPath: "/health", cancellationToken: cancellationToken);

            var web = AspireEnvironment.Merge(
                AspireEnvironment.Otlp(otlp, protocol, "web"),
                AspireEnvironment.ChatApi(app.ChatApi.BaseAddress));
            app.Web = await ServiceProcess.StartAsync("AspireChat.Web", web, readyPath: "/health", cancellationToken: cancellationToken);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Both services' output, for failure messages.</summary>
    public string Output => $"--- chatapi ---{Environment.NewLine}{ChatApi?.Output}{Environment.NewLine}--- web ---{Environment.NewLine}{Web?.Output}";

    public async ValueTask DisposeAsync()
    {
        if (Web is not null)
        {
            await Web.DisposeAsync();
        }

        if (ChatApi is not null)
        {
            await ChatApi.DisposeAsync();
        }

        await Model.DisposeAsync();
        await Otlp.DisposeAsync();
    }
}

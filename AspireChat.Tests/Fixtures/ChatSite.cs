namespace AspireChat.Tests.Fixtures;

/// <summary>How fast ChatApi's offline model writes: slow enough to stop or scroll mid-reply, or fast.</summary>
public sealed record OfflineModelPacing(TimeSpan TimeToFirstToken, int TokensPerSecond)
{
    public static OfflineModelPacing Fast { get; } = new(TimeSpan.FromMilliseconds(50), 150);

    /// <summary>About 100 tokens in 6 s: time to act while the reply streams.</summary>
    public static OfflineModelPacing Slow { get; } = new(TimeSpan.FromMilliseconds(200), 16);
}

/// <summary>
/// ChatApi (offline model, in-memory store) and Web in front of it, each a real process, as the
/// AppHost runs them: Web finds ChatApi through <c>services__chatapi__http__0</c>.
/// </summary>
public sealed class ChatSite : IAsyncDisposable
{
    private readonly OfflineModelPacing _pacing;
    private readonly int _chatApiPort;
    private readonly IReadOnlyDictionary<string, string?> _chatApiEnvironment;

    private ChatSite(OfflineModelPacing pacing, int chatApiPort, IReadOnlyDictionary<string, string?> chatApiEnvironment, ServiceProcess chatApi, ServiceProcess web)
    {
        _pacing = pacing;
        _chatApiPort = chatApiPort;
        _chatApiEnvironment = chatApiEnvironment;
        ChatApi = chatApi;
        Web = web;
    }

    public ServiceProcess ChatApi { get; private set; }

    public ServiceProcess Web { get; }

    /// <summary>The page's address: the only one a browser uses.</summary>
    public Uri BaseAddress => Web.BaseAddress;

    public static Task<ChatSite> StartAsync(OfflineModelPacing pacing, CancellationToken cancellationToken = default) =>
        StartAsync(pacing, new Dictionary<string, string?>(), new Dictionary<string, string?>(), cancellationToken);

    /// <summary>
    /// As <see cref="StartAsync(OfflineModelPacing, CancellationToken)"/>, with more environment for each process (browser
    /// telemetry's relay for Web, OTLP export for ChatApi).
    /// </summary>
    public static async Task<ChatSite> StartAsync(
        OfflineModelPacing pacing,
        IReadOnlyDictionary<string, string?> webEnvironment,
        IReadOnlyDictionary<string, string?> chatApiEnvironment,
        CancellationToken cancellationToken = default)
    {
        var chatApiPort = ServiceProcess.FreeTcpPort();
        var chatApi = await StartChatApiAsync(pacing, chatApiPort, chatApiEnvironment, cancellationToken);
        try
        {
            var web = await ServiceProcess.StartAsync(
                "AspireChat.Web",
                new Dictionary<string, string?>(webEnvironment) { ["services__chatapi__http__0"] = chatApi.BaseAddress.ToString() },
                cancellationToken: cancellationToken);
            return new ChatSite(pacing, chatApiPort, chatApiEnvironment, chatApi, web);
        }
        catch
        {
            await chatApi.DisposeAsync();
            throw;
        }
    }

    /// <summary>Ends ChatApi at once, as a crash or a lost host does: Web stays up and the page sees its service go away.</summary>
    public Task KillChatApiAsync() => ChatApi.KillAsync();

    /// <summary>Starts ChatApi again on the port Web knows.</summary>
    public async Task RestartChatApiAsync(CancellationToken cancellationToken = default)
    {
        await ChatApi.DisposeAsync();
        ChatApi = await StartChatApiAsync(_pacing, _chatApiPort, _chatApiEnvironment, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Web.DisposeAsync();
        await ChatApi.DisposeAsync();
    }

    private static Task<ServiceProcess> StartChatApiAsync(OfflineModelPacing pacing, int port, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken) =>
        ServiceProcess.StartAsync(
            "AspireChat.ChatApi",
            new Dictionary<string, string?>(environment)
            {
                ["Model__Offline__TimeToFirstToken"] = pacing.TimeToFirstToken.ToString("c"),
                ["Model__Offline__TokensPerSecond"] = pacing.TokensPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            port: port,
            cancellationToken: cancellationToken);
}

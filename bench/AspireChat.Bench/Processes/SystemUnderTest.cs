using System.Globalization;

namespace AspireChat.Bench.Processes;

/// <summary>
/// The services one <see cref="Target"/> needs, started as real processes from their build output and configured
/// only through the environment, as the AppHost would: redis-server, ChatApi, Web.
/// </summary>
internal sealed class SystemUnderTest : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<(string Name, int Pid)> _processes = [];

    private SystemUnderTest(Target target, CorePlan? cores)
    {
        Target = target;
        Cores = cores;
    }

    public Target Target { get; }

    /// <summary>Where the services run in a pinned run; null when they share every core.</summary>
    public CorePlan? Cores { get; }

    /// <summary>ChatApi's process id, 0 for the direct baseline.</summary>
    public int ChatApiId { get; private set; }

    /// <summary>The Redis (one server or a cluster) of a Redis-backed target, else null.</summary>
    public IBenchRedis? Redis { get; private set; }

    /// <summary>Where the virtual users connect: <c>ws://…/ws</c>, or the mock's completions endpoint for the baseline.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Where idle WebSockets connect: <see cref="Endpoint"/>, or for the baseline the mock's bare <c>/ws</c>.</summary>
    public Uri IdleEndpoint { get; private set; } = null!;

    /// <summary>The server processes to measure (the mock is measured too: it shares the machine).</summary>
    public IReadOnlyList<(string Name, int Pid)> Processes => _processes;

    public static async Task<SystemUnderTest> StartAsync(Target target, MockProcess mock, string model, CorePlan? cores, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(mock);
        var system = new SystemUnderTest(target, cores);
        try
        {
            await system.StartServicesAsync(mock, model, cancellationToken);
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Front to back: Web, then ChatApi, then Redis.
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _owned.Clear();
        if (Cores is not null && ChatApiId != 0)
        {
            // The runtime leaves its perf map in /tmp when the process ends.
            JitActivity.ForProcess(ChatApiId).Delete();
        }
    }

    private async Task StartServicesAsync(MockProcess mock, string model, CancellationToken cancellationToken)
    {
        if (Target.Route == Route.DirectToMock)
        {
            Endpoint = new Uri(mock.BaseAddress, "chat/completions");
            IdleEndpoint = WebSocketAddress(mock.BaseAddress);
            _processes.Add(("mock", mock.Id));
            return;
        }

        var overHttp2 = Target.ModelHttpVersion == "2.0";
        var environment = new Dictionary<string, string?>
        {
            ["Model__Provider"] = "openai",
            // The mock's HTTP/2 port speaks HTTP/2 from the first byte (in cleartext there is no TLS handshake to
            // offer it in), so ChatApi asks for exactly that: what it does over TLS to a provider that offers it.
            ["Model__Endpoint"] = (overHttp2 ? mock.Http2BaseAddress : mock.BaseAddress).ToString(),
            ["Model__HttpVersion"] = Target.ModelHttpVersion,
            ["Model__HttpVersionPolicy"] = overHttp2 ? "RequestVersionExact" : "RequestVersionOrLower",
            ["Model__ApiKey"] = "bench",
            ["Model__Name"] = model,
            // The benchmark is one client opening thousands of sockets: the per-client limits must not throttle it.
            ["Chat__Limits__MessagesPerMinute"] = "1000000",
            ["Chat__Limits__MessageBurst"] = "1000000",
            ["Chat__Limits__MaxConnectionsPerClient"] = "100000",
        };
        if (Target.Store is Store.Redis or Store.RedisCluster)
        {
            // A cluster's three nodes share the cores one redis-server gets: the same Redis CPU, spread by slot.
            IBenchRedis redis = Target.Store == Store.Redis
                ? await RedisProcess.StartAsync(Cores?.RedisCores, cancellationToken)
                : await RedisClusterProcess.StartAsync(Cores?.RedisCores, cancellationToken);
            _owned.Add(redis);
            Redis = redis;
            environment["ConnectionStrings__cache"] = redis.ConnectionString;
            _processes.AddRange(redis.ProcessIds.Select(id => ("redis", id)));
        }

        foreach (var (key, value) in Target.ChatApiEnvironment)
        {
            environment[key] = value;
        }

        if (Cores is not null)
        {
            // The runtime writes one line per method it compiles: the pinned run counts them to know when tiering is done.
            environment["DOTNET_PerfMapEnabled"] = JitActivity.PerfMapOnly;
            environment["DOTNET_PerfMapShowOptimizationTiers"] = "1";
        }

        var chatApi = await StartServiceAsync("ChatApi", Target.ChatApiAssembly ?? BuildOutput.Assembly("AspireChat.ChatApi"), environment, Cores?.ServerCores, cancellationToken);
        ChatApiId = chatApi.Pid;
        Endpoint = WebSocketAddress(chatApi.Address);
        if (Target.Route == Route.WebProxy)
        {
            var web = await StartServiceAsync("Web", BuildOutput.Assembly("AspireChat.Web"), new Dictionary<string, string?>
            {
                ["services__chatapi__http__0"] = chatApi.Address.ToString().TrimEnd('/'),
            }, Cores?.ServerCores, cancellationToken);
            Endpoint = WebSocketAddress(web.Address);
        }

        IdleEndpoint = Endpoint;
        _processes.Add(("mock", mock.Id));
    }

    private static Uri WebSocketAddress(Uri http) => new UriBuilder(http) { Scheme = "ws", Path = "/ws" }.Uri;

    private async Task<(Uri Address, int Pid)> StartServiceAsync(
        string name,
        string assembly,
        Dictionary<string, string?> environment,
        IReadOnlyList<int>? cores,
        CancellationToken cancellationToken)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}/");
        environment["ASPNETCORE_URLS"] = address.ToString().TrimEnd('/');
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Per-request logging would be the benchmark's bottleneck, not the relay: warnings and errors only.
        environment["Logging__LogLevel__Default"] = "Warning";
        var process = ManagedProcess.StartDotnet(name, assembly, [], environment, cores: cores);
        _owned.Add(process);
        await process.WaitUntilReadyAsync(new Uri(address, "/alive"), cancellationToken);
        _processes.Add((name, process.Id));
        return (address, process.Id);
    }
}

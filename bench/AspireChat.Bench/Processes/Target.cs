namespace AspireChat.Bench.Processes;

/// <summary>What the load generator talks to.</summary>
public enum Route
{
    /// <summary>The mock's SSE endpoint itself: the baseline every other figure is compared with.</summary>
    DirectToMock,

    /// <summary>ChatApi's <c>/ws</c>.</summary>
    ChatApi,

    /// <summary>Web's <c>/ws</c>, proxied to ChatApi.</summary>
    WebProxy,
}

/// <summary>Where ChatApi keeps conversations.</summary>
public enum Store
{
    InMemory,

    /// <summary>One redis-server.</summary>
    Redis,

    /// <summary>A local Redis Cluster of three masters (<see cref="RedisClusterProcess"/>).</summary>
    RedisCluster,
}

public static class Stores
{
    /// <summary>Reads <c>memory</c>, <c>redis</c> or <c>cluster</c> (<c>--stores</c>).</summary>
    public static Store Parse(string text) => text switch
    {
        "memory" => Store.InMemory,
        "redis" => Store.Redis,
        "cluster" => Store.RedisCluster,
        _ => throw new ArgumentException($"Unknown store '{text}': use memory, redis or cluster.", nameof(text)),
    };

    /// <summary>How a run's name and the report call the store.</summary>
    public static string Describe(Store store) => store switch
    {
        Store.Redis => "Redis",
        Store.RedisCluster => "Redis Cluster",
        _ => "in-memory",
    };
}

/// <summary>One configuration under test: a route and a store, and extra ChatApi settings (e.g. a feature switched on).</summary>
public sealed record Target(string Name, Route Route, Store Store)
{
    public static Target Direct { get; } = new("direct to mock", Route.DirectToMock, Store.InMemory);

    public static Target ChatApiInMemory { get; } = new("ChatApi, in-memory", Route.ChatApi, Store.InMemory);

    public static Target ChatApiRedis { get; } = new("ChatApi, Redis", Route.ChatApi, Store.Redis);

    public static Target ProxyInMemory { get; } = new("Web proxy, in-memory", Route.WebProxy, Store.InMemory);

    public static IReadOnlyList<Target> All { get; } = [Direct, ChatApiInMemory, ChatApiRedis, ProxyInMemory];

    /// <summary>
    /// ChatApi's built assembly when it is not this checkout's: another commit built under artifacts/ to be measured
    /// in the same run (<c>bench/run.sh --baseline</c>).
    /// </summary>
    public string? ChatApiAssembly { get; init; }

    /// <summary>Which build of ChatApi runs: <c>current</c>, or the commit <see cref="ChatApiAssembly"/> was built from.</summary>
    public string Build { get; init; } = "current";

    /// <summary>
    /// The HTTP version ChatApi asks of the mock: <c>2.0</c>, on the mock's HTTP/2-only port, or <c>1.1</c>.
    /// ChatApi before Model:HttpVersion (the baselines) speaks HTTP/1.1 only.
    /// </summary>
    public string ModelHttpVersion { get; init; } = "2.0";

    /// <summary>Reads <c>--model-http</c>: <c>2.0</c> or <c>1.1</c>.</summary>
    public static string ParseModelHttpVersion(string text) => text is "2.0" or "1.1"
        ? text
        : throw new ArgumentException($"Unknown model HTTP version '{text}': use 2.0 or 1.1.", nameof(text));

    /// <summary>Extra environment for ChatApi in this configuration.</summary>
    public IReadOnlyDictionary<string, string?> ChatApiEnvironment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Reads <c>direct</c>, <c>chatapi</c>, <c>redis</c> or <c>proxy</c> (command line).</summary>
    public static Target Parse(string text) => text.ToUpperInvariant() switch
    {
        "DIRECT" => Direct,
        "CHATAPI" => ChatApiInMemory,
        "REDIS" => ChatApiRedis,
        "PROXY" => ProxyInMemory,
        _ => throw new ArgumentException($"Unknown target '{text}': use direct, chatapi, redis or proxy.", nameof(text)),
    };
}

using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>
/// Where a reply's frequent commands go: its stored batches of frames, its producer's lease and its conversation
/// lease's renewals and release. Aspire's Redis client traces a command by profiling it (StackExchange.Redis keeps the
/// command and its message, payload included, in a session of the current span) and turning each session into spans
/// every 10 s; at 1,000 streams that kept 10 s of every batch alive (40 to 80 MiB of ChatApi's peak), for spans a
/// reply sums up on its own span anyway (<c>aspirechat.reply.store.*</c>).
/// So by default they go out on a connection of ChatApi's own, made from the very options Aspire's client was
/// (its connection string, its <c>Aspire:StackExchange:Redis</c> settings and defaults) but never given to the
/// instrumentation. <c>Telemetry:PerCommandSpans</c> sends them on Aspire's client instead, a span each under the reply.
/// </summary>
/// <remarks>
/// Not a second <c>AddKeyedRedisClient</c> with <c>DisableTracing</c>: Aspire 13.6 hands every connection its
/// clients make to the instrumentation once any of them traces, whatever that client's own setting.
/// </remarks>
internal sealed class ReplyWriteConnection : IAsyncDisposable
{
    private readonly ConnectionMultiplexer? _own;

    /// <summary>Writes on <paramref name="database"/>, which another owns.</summary>
    public ReplyWriteConnection(IDatabase database) => Database = database;

    private ReplyWriteConnection(ConnectionMultiplexer own)
    {
        _own = own;
        Database = own.GetDatabase();
    }

    public IDatabase Database { get; }

    /// <summary>The connection <paramref name="services"/>' options ask for: Aspire's client, or one of its own.</summary>
    public static ReplyWriteConnection Create(IServiceProvider services)
    {
        if (services.GetRequiredService<IOptions<ReplyTelemetryOptions>>().Value.PerCommandSpans)
        {
            return new ReplyWriteConnection(services.GetRequiredService<IConnectionMultiplexer>().GetDatabase());
        }

        // Aspire's default-named options, made once and shared with its own connection: a copy of them.
        var options = services.GetRequiredService<IOptions<ConfigurationOptions>>().Value.Clone();
        options.LoggerFactory ??= services.GetService<ILoggerFactory>();
        return new ReplyWriteConnection(ConnectionMultiplexer.Connect(options));
    }

    public ValueTask DisposeAsync() => _own?.DisposeAsync() ?? ValueTask.CompletedTask;
}

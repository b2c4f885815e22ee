namespace AspireChat.ChatApi.Redis;

/// <summary>Runs commands: the shared multiplexed connection, or a dedicated one (<see cref="IRedisLease"/>).</summary>
public interface IRedisCommandExecutor
{
    /// <summary>Sends one command and returns its reply; an error reply throws <see cref="RedisServerException"/>.</summary>
    Task<RespValue> ExecuteAsync(RedisCommand command, CancellationToken cancellationToken);

    /// <summary>
    /// MULTI, the commands, EXEC, written back to back so nothing interleaves. Returns EXEC's
    /// replies, one per command, or null when a WATCHed key changed and nothing was applied.
    /// A command Redis refused to queue aborts the whole transaction with <see cref="RedisServerException"/>.
    /// </summary>
    Task<IReadOnlyList<RespValue>?> TransactionAsync(IReadOnlyList<RedisCommand> commands, CancellationToken cancellationToken);
}

/// <summary>
/// AspireChat's Redis client: one multiplexed connection shared by every caller, dedicated
/// connections on lease (WATCH, blocking reads), and a subscriber connection for pub/sub.
/// </summary>
public interface IRedisClient : IRedisCommandExecutor
{
    /// <summary>Where the client connects (password redacted in its ToString).</summary>
    RedisConnectionOptions Connection { get; }

    /// <summary>
    /// A connection for this caller alone, for state that lives on a connection (WATCH) or commands
    /// that block it (XREAD BLOCK). Disposing it returns it to a small pool.
    /// </summary>
    Task<IRedisLease> LeaseAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="handler"/> for every message published to <paramref name="channel"/>
    /// from the moment Redis confirmed the subscription, across reconnects (messages published while
    /// disconnected are lost, as with Redis pub/sub itself). Dispose the result to unsubscribe.
    /// The handler runs on the subscriber's read loop: keep it short and non-blocking.
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(string channel, Action<RedisChannelMessage> handler, CancellationToken cancellationToken);
}

/// <summary>A dedicated connection. Blocking commands (<see cref="RedisCommand.BlockFor"/>) run only here.</summary>
public interface IRedisLease : IRedisCommandExecutor, IAsyncDisposable;

/// <summary>A message published to a channel.</summary>
public sealed record RedisChannelMessage(string Channel, ReadOnlyMemory<byte> Payload);

using AspireChat.ChatApi.Redis;

namespace AspireChat.Tests.Fakes;

/// <summary>
/// A real Redis client that fails one chosen command as a dropped connection would, for faults that
/// must land at an exact point (a real outage lands anywhere).
/// </summary>
internal sealed class FailOnceRedisClient(IRedisClient inner) : IRedisClient
{
    private Func<RedisCommand, bool>? _failNext;

    public RedisConnectionOptions Connection => inner.Connection;

    /// <summary>The next command matching <paramref name="match"/> fails; the ones after it run.</summary>
    public void FailNext(Func<RedisCommand, bool> match) => _failNext = match;

    public Task<RespValue> ExecuteAsync(RedisCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (_failNext is { } match && match(command) && Interlocked.CompareExchange(ref _failNext, null, match) == match)
        {
            throw new RedisConnectionException($"{command.Name} failed: the connection to Redis was lost (injected).");
        }

        return inner.ExecuteAsync(command, cancellationToken);
    }

    public Task<IReadOnlyList<RespValue>?> TransactionAsync(IReadOnlyList<RedisCommand> commands, CancellationToken cancellationToken) =>
        inner.TransactionAsync(commands, cancellationToken);

    public Task<IRedisLease> LeaseAsync(CancellationToken cancellationToken) => inner.LeaseAsync(cancellationToken);

    public Task<IAsyncDisposable> SubscribeAsync(string channel, Action<RedisChannelMessage> handler, CancellationToken cancellationToken) =>
        inner.SubscribeAsync(channel, handler, cancellationToken);
}

namespace AspireChat.ChatApi.Redis;

/// <summary>A dedicated connection lent to one caller; returned to the client's pool on dispose.</summary>
internal sealed class RedisLease(RedisClient owner, RedisConnection connection, RedisConnectionOptions connectionOptions, RedisClientOptions options) : IRedisLease
{
    private int _disposed;

    // WATCH lives on the connection until EXEC or UNWATCH; a connection left watching is not reused.
    private bool _watching;

    public Task<RespValue> ExecuteAsync(RedisCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (command.Name.Equals("WATCH", StringComparison.OrdinalIgnoreCase))
        {
            _watching = true;
        }
        else if (command.Name.Equals("UNWATCH", StringComparison.OrdinalIgnoreCase))
        {
            _watching = false;
        }

        return RedisExecution.RunAsync(command.Name, null, connectionOptions, options.CommandTimeout + command.BlockFor, GetConnectionAsync,
            (c, token) => RedisExecution.ExecuteAsync(c, command, token), cancellationToken);
    }

    public Task<IReadOnlyList<RespValue>?> TransactionAsync(IReadOnlyList<RedisCommand> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        _watching = false;
        return RedisExecution.RunAsync("MULTI", commands.Count, connectionOptions, options.CommandTimeout, GetConnectionAsync,
            (c, token) => RedisExecution.TransactionAsync(c, commands, token), cancellationToken);
    }

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? owner.ReturnAsync(connection, reusable: !_watching) : ValueTask.CompletedTask;

    private Task<RedisConnection> GetConnectionAsync(CancellationToken cancellationToken) =>
        connection.IsConnected
            ? Task.FromResult(connection)
            : Task.FromException<RedisConnection>(new RedisConnectionException($"The dedicated connection to Redis at {connection.Endpoint} was lost."));
}

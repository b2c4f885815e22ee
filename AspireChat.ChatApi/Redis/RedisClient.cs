using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// The multiplexed client. Nothing connects at construction: the first command does, so the
/// service starts whether or not Redis is up. A lost connection fails its in-flight commands at
/// once; the next command reconnects, and while Redis stays unreachable, attempts are spaced by
/// exponential backoff and commands in between fail fast with the last connection error.
/// </summary>
public sealed class RedisClient : IRedisClient, IAsyncDisposable
{
    private readonly RedisClientOptions _options;
    private readonly ILogger<RedisClient> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly ReconnectBackoff _backoff;
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<RedisConnection> _idle = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly RedisSubscriber _subscriber;
    private RedisConnection? _connection;
    private Task<RedisConnection>? _connecting;
    private Exception? _lastError;
    private DateTimeOffset _nextAttemptAt;

    public RedisClient(RedisConnectionOptions connection, IOptions<RedisClientOptions> options, ILogger<RedisClient> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(connection);
        Connection = connection;
        _options = options.Value;
        _logger = logger;
        _timeProvider = timeProvider;
        _backoff = new ReconnectBackoff(_options.ReconnectMinDelay, _options.ReconnectMaxDelay);
        _subscriber = new RedisSubscriber(connection, _options, logger);
        foreach (var ignored in connection.IgnoredOptions)
        {
            RedisLog.OptionIgnored(logger, ignored);
        }
    }

    public RedisConnectionOptions Connection { get; }

    public Task<RespValue> ExecuteAsync(RedisCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.BlockFor > TimeSpan.Zero)
        {
            // A blocked reply would hold up every other caller's reply behind it.
            throw new InvalidOperationException($"{command.Name} blocks its connection; run it on a dedicated connection (LeaseAsync).");
        }

        return RedisExecution.RunAsync(command.Name, null, Connection, _options.CommandTimeout, GetConnectionAsync,
            (connection, token) => RedisExecution.ExecuteAsync(connection, command, token), cancellationToken);
    }

    public Task<IReadOnlyList<RespValue>?> TransactionAsync(IReadOnlyList<RedisCommand> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Any(c => c.Name.Equals("WATCH", StringComparison.OrdinalIgnoreCase)))
        {
            // WATCH state is per connection: on a shared one another caller's EXEC would clear it.
            throw new InvalidOperationException("WATCH needs a dedicated connection (LeaseAsync).");
        }

        return RedisExecution.RunAsync("MULTI", commands.Count, Connection, _options.CommandTimeout, GetConnectionAsync,
            (connection, token) => RedisExecution.TransactionAsync(connection, commands, token), cancellationToken);
    }

    public async Task<IRedisLease> LeaseAsync(CancellationToken cancellationToken)
    {
        while (_idle.TryDequeue(out var idle))
        {
            if (idle.IsConnected && idle.PendingCount == 0)
            {
                return new RedisLease(this, idle, Connection, _options);
            }

            await idle.DisposeAsync();
        }

        ThrowIfBackingOff();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        timeout.CancelAfter(_options.CommandTimeout);
        var connection = await RedisConnection.ConnectAsync(Connection, _options.ServerCertificateValidation, null, timeout.Token);
        return new RedisLease(this, connection, Connection, _options);
    }

    public Task<IAsyncDisposable> SubscribeAsync(string channel, Action<RedisChannelMessage> handler, CancellationToken cancellationToken) =>
        _subscriber.SubscribeAsync(channel, handler, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync();
        await _subscriber.DisposeAsync();
        RedisConnection? connection;
        lock (_gate)
        {
            connection = _connection;
            _connection = null;
        }

        if (connection is not null)
        {
            await connection.DisposeAsync();
        }

        while (_idle.TryDequeue(out var idle))
        {
            await idle.DisposeAsync();
        }

        _disposed.Dispose();
    }

    /// <summary>Takes a dedicated connection back when it is clean: connected, no reply outstanding.</summary>
    internal async ValueTask ReturnAsync(RedisConnection connection, bool reusable)
    {
        if (reusable && !_disposed.IsCancellationRequested && connection.IsConnected && connection.PendingCount == 0 && _idle.Count < _options.MaxIdleDedicatedConnections)
        {
            _idle.Enqueue(connection);
            return;
        }

        await connection.DisposeAsync();
    }

    private Task<RedisConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Task<RedisConnection> attempt;
        lock (_gate)
        {
            if (_connection is { IsConnected: true } current)
            {
                return Task.FromResult(current);
            }

            if (_connecting is null)
            {
                ThrowIfBackingOff();
                // Run outside the lock: the attempt clears _connecting when it ends.
                _connecting = Task.Run(ConnectAsync);
            }

            attempt = _connecting;
        }

        return attempt.WaitAsync(cancellationToken);
    }

    private void ThrowIfBackingOff()
    {
        var now = _timeProvider.GetUtcNow();
        if (_lastError is { } error && now < _nextAttemptAt)
        {
            throw new RedisConnectionException(
                $"Redis is unavailable; next connection attempt in {(_nextAttemptAt - now).TotalMilliseconds:0} ms. {error.Message}", error);
        }
    }

    private async Task<RedisConnection> ConnectAsync()
    {
        try
        {
            var connection = await RedisConnection.ConnectAsync(Connection, _options.ServerCertificateValidation, null, _disposed.Token);
            lock (_gate)
            {
                _connection = connection;
                _connecting = null;
                _lastError = null;
                _backoff.Reset();
            }

            RedisLog.Connected(_logger, connection.Endpoint, Connection.DefaultDatabase, Connection.Ssl);
            _ = connection.Closed.ContinueWith(closed => OnClosed(connection, closed.Result), TaskScheduler.Default);
            return connection;
        }
        catch (Exception ex)
        {
            var delay = _backoff.Next();
            lock (_gate)
            {
                _lastError = ex;
                _nextAttemptAt = _timeProvider.GetUtcNow() + delay;
                _connecting = null;
            }

            RedisLog.ConnectFailed(_logger, delay.TotalMilliseconds, ex.Message);
            throw;
        }
    }

    private void OnClosed(RedisConnection connection, Exception reason)
    {
        lock (_gate)
        {
            if (_connection == connection)
            {
                _connection = null;
            }
        }

        if (!_disposed.IsCancellationRequested)
        {
            RedisLog.ConnectionLost(_logger, connection.Endpoint, reason.Message);
        }

        // The connection is closed already; this frees what it holds.
        _ = connection.DisposeAsync().AsTask();
    }
}

using System.Text;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// The pub/sub side: its own connection (a subscribed connection takes no other commands), kept
/// up by a loop that reconnects with backoff and subscribes every channel again. Each channel is
/// subscribed with its own SUBSCRIBE so every confirmation pairs with one command in the FIFO.
/// </summary>
internal sealed class RedisSubscriber(RedisConnectionOptions connectionOptions, RedisClientOptions options, ILogger logger) : IAsyncDisposable
{
    private readonly Dictionary<string, List<Action<RedisChannelMessage>>> _handlers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly ReconnectBackoff _backoff = new(options.ReconnectMinDelay, options.ReconnectMaxDelay);
    private TaskCompletionSource<RedisConnection> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;

    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Action<RedisChannelMessage> handler, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Task<RedisConnection> connected;
        lock (_gate)
        {
            if (!_handlers.TryGetValue(channel, out var list))
            {
                _handlers[channel] = list = [];
            }

            list.Add(handler);
            _loop ??= Task.Run(RunAsync, CancellationToken.None);
            connected = _connected.Task;
        }

        var subscription = new Subscription(this, channel, handler);
        try
        {
            await RedisExecution.RunAsync("SUBSCRIBE", null, connectionOptions, options.CommandTimeout,
                token => connected.WaitAsync(token),
                (connection, token) => RedisExecution.ExecuteAsync(connection, new RedisCommand("SUBSCRIBE", channel), token),
                cancellationToken);
            return subscription;
        }
        catch
        {
            await subscription.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _disposed.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_disposed.IsCancellationRequested)
        {
            TimeSpan delay;
            try
            {
                await using var connection = await RedisConnection.ConnectAsync(connectionOptions, options.ServerCertificateValidation, OnMessage, _disposed.Token);
                string[] channels;
                lock (_gate)
                {
                    channels = [.. _handlers.Keys];
                }

                foreach (var channel in channels)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
                    timeout.CancelAfter(options.CommandTimeout);
                    await RedisExecution.ExecuteAsync(connection, new RedisCommand("SUBSCRIBE", channel), timeout.Token);
                }

                _backoff.Reset();
                RedisLog.SubscriberConnected(logger, channels.Length);
                _connected.TrySetResult(connection);
                var reason = await connection.Closed.WaitAsync(_disposed.Token);
                delay = _backoff.Next();
                RedisLog.SubscriberDisconnected(logger, delay.TotalMilliseconds, reason.Message);
            }
            catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                delay = _backoff.Next();
                RedisLog.SubscriberDisconnected(logger, delay.TotalMilliseconds, ex.Message);
                // Subscribers waiting for a connection hear why there is none, and try again later.
                lock (_gate)
                {
                    _connected.TrySetException(new RedisConnectionException($"The Redis subscriber is not connected: {ex.Message}", ex));
                }
            }

            lock (_gate)
            {
                if (_connected.Task.IsCompleted)
                {
                    _connected = new TaskCompletionSource<RedisConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            try
            {
                await Task.Delay(delay, _disposed.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void OnMessage(RespValue message)
    {
        var channel = Encoding.UTF8.GetString(message.Items[1].Bytes.Span);
        Action<RedisChannelMessage>[] handlers;
        lock (_gate)
        {
            handlers = _handlers.TryGetValue(channel, out var list) ? [.. list] : [];
        }

        var published = new RedisChannelMessage(channel, message.Items[2].Bytes);
        foreach (var handler in handlers)
        {
            try
            {
                handler(published);
            }
            catch (Exception ex)
            {
                RedisLog.HandlerFailed(logger, channel, ex);
            }
        }
    }

    private async ValueTask UnsubscribeAsync(string channel, Action<RedisChannelMessage> handler)
    {
        Task<RedisConnection> connected;
        lock (_gate)
        {
            if (!_handlers.TryGetValue(channel, out var list) || !list.Remove(handler) || list.Count > 0)
            {
                return;
            }

            _handlers.Remove(channel);
            connected = _connected.Task;
        }

        if (connected.IsCompletedSuccessfully && connected.Result.IsConnected && !_disposed.IsCancellationRequested)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
                timeout.CancelAfter(options.CommandTimeout);
                await RedisExecution.ExecuteAsync(connected.Result, new RedisCommand("UNSUBSCRIBE", channel), timeout.Token);
            }
            catch (Exception)
            {
                // Not connected any more: the next connection does not subscribe it again.
            }
        }
    }

    private sealed class Subscription(RedisSubscriber owner, string channel, Action<RedisChannelMessage> handler) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 0 ? owner.UnsubscribeAsync(channel, handler) : ValueTask.CompletedTask;
    }
}

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// What running a command means on any connection: a span, the command timeout (plus a blocking
/// command's own wait), the caller's cancellation, and error replies turned into exceptions.
/// </summary>
internal static class RedisExecution
{
    private static readonly RedisCommand Multi = new("MULTI");
    private static readonly RedisCommand Exec = new("EXEC");

    public static async Task<T> RunAsync<T>(
        string operation,
        int? batchSize,
        RedisConnectionOptions connectionOptions,
        TimeSpan timeout,
        Func<CancellationToken, Task<RedisConnection>> getConnection,
        Func<RedisConnection, CancellationToken, Task<T>> action,
        CancellationToken cancellationToken)
    {
        using var activity = RedisTelemetry.StartCommand(operation, connectionOptions, batchSize);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var connected = false;
        try
        {
            var connection = await getConnection(deadline.Token);
            connected = true;
            RedisTelemetry.SetServer(activity, connection.Endpoint);
            return await action(connection, deadline.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            var error = new RedisTimeoutException(connected
                ? $"{operation} got no reply from Redis within {timeout.TotalMilliseconds:0} ms."
                : $"{operation} timed out after {timeout.TotalMilliseconds:0} ms waiting for a connection to Redis.", ex);
            RedisTelemetry.SetError(activity, error);
            throw error;
        }
        catch (Exception ex)
        {
            RedisTelemetry.SetError(activity, ex);
            throw;
        }
    }

    public static async Task<RespValue> ExecuteAsync(RedisConnection connection, RedisCommand command, CancellationToken cancellationToken)
    {
        var replies = await connection.SendAsync([command], cancellationToken);
        var reply = (await replies.WaitAsync(cancellationToken))[0];
        return reply.Type == RespType.Error ? throw new RedisServerException(reply.AsString() ?? "") : reply;
    }

    public static async Task<IReadOnlyList<RespValue>?> TransactionAsync(RedisConnection connection, IReadOnlyList<RedisCommand> commands, CancellationToken cancellationToken)
    {
        var replies = await connection.SendAsync([Multi, .. commands, Exec], cancellationToken);
        var all = await replies.WaitAsync(cancellationToken);
        if (all[0].Type == RespType.Error)
        {
            throw new RedisServerException(all[0].AsString() ?? "");
        }

        var exec = all[^1];
        if (exec.Type == RespType.Error)
        {
            // EXECABORT: say which command Redis refused to queue.
            for (var i = 0; i < commands.Count; i++)
            {
                if (all[i + 1].Type == RespType.Error)
                {
                    throw new RedisServerException($"{all[i + 1].AsString()} ({commands[i].Name} refused; the transaction was discarded)");
                }
            }

            throw new RedisServerException(exec.AsString() ?? "");
        }

        if (exec.IsNull)
        {
            return null;
        }

        for (var i = 0; i < exec.Items.Count; i++)
        {
            if (exec.Items[i].Type == RespType.Error)
            {
                throw new RedisServerException($"{exec.Items[i].AsString()} ({commands[i].Name} failed inside the transaction)");
            }
        }

        return exec.Items;
    }
}

using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace AspireChat.ChatApi.Redis;

/// <summary>
/// One TCP (or TLS) connection to Redis. Commands from any number of callers are written one
/// after the other under a single write lock, each write leaving one pending entry in a FIFO queue
/// for the replies it is owed; one read loop parses replies and hands them out in the same order,
/// which is the order Redis answers. A caller that gives up (timeout, cancellation) leaves its
/// pending entry in place, so its replies are read and dropped and the queue never shifts. Any read or write failure, or a
/// reply that is not RESP2, ends the connection and fails every pending reply at once.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Queue<PendingReplies> _pending = new();
    private readonly Lock _pendingLock = new();
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<RespValue>? _pushHandler;
    private readonly Task _readLoop;

    private RedisConnection(RedisEndpoint endpoint, Socket socket, Stream stream, Action<RespValue>? pushHandler)
    {
        Endpoint = endpoint;
        _socket = socket;
        _stream = stream;
        _pushHandler = pushHandler;
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        _writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public RedisEndpoint Endpoint { get; }

    public bool IsConnected => !_closed.Task.IsCompleted;

    /// <summary>Completes with the reason when the connection ends.</summary>
    public Task<Exception> Closed => _closed.Task;

    /// <summary>Writes whose replies are still owed by the server (including those nobody waits for any more).</summary>
    public int PendingCount
    {
        get
        {
            lock (_pendingLock)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>
    /// Connects to the first endpoint that answers, then authenticates, selects the database and
    /// pings, so a returned connection is known to work. Errors name the cause, never the password.
    /// A subscriber connection passes a push handler: it receives published messages, which are not
    /// replies to any command.
    /// </summary>
    public static async Task<RedisConnection> ConnectAsync(
        RedisConnectionOptions options,
        RemoteCertificateValidationCallback? certificateValidation,
        Action<RespValue>? pushHandler,
        CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        Exception? lastFailure = null;
        foreach (var endpoint in options.Endpoints)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.ConnectTimeout);
            try
            {
                return await ConnectToAsync(endpoint, options, certificateValidation, pushHandler, timeout.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                lastFailure = ex;
                failures.Add($"{endpoint}: no connection within the connect timeout of {options.ConnectTimeout.TotalMilliseconds:0} ms"
                    + (options.Ssl ? "; with ssl=true an unanswered TLS handshake usually means the server may not offer TLS (then remove ssl=true)" : ""));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                lastFailure = ex;
                failures.Add($"{endpoint}: {Redact(ex.Message, options.Password)}");
            }
        }

        throw new RedisConnectionException($"Could not connect to Redis. {string.Join("; ", failures)}", lastFailure);
    }

    /// <summary>
    /// Writes <paramref name="commands"/> back to back, so no other caller's command lands between
    /// them (MULTI ... EXEC relies on it), and returns a task for their replies, in order.
    /// </summary>
    public async Task<Task<RespValue[]>> SendAsync(IReadOnlyList<RedisCommand> commands, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var replies = new PendingReplies(commands.Count);
            lock (_pendingLock)
            {
                // Checked under the same lock Close drains under: no pending entry can be left behind.
                if (_closed.Task.IsCompleted)
                {
                    throw Failure(_closed.Task.Result);
                }

                _pending.Enqueue(replies);
            }

            foreach (var command in commands)
            {
                RespWriter.Write(_writer, command);
            }

            try
            {
                // Not the caller's token: a command half written would put the stream out of step.
                var flushed = await _writer.FlushAsync(CancellationToken.None);
                if (flushed.IsCompleted)
                {
                    Close(new RedisConnectionException($"The connection to Redis at {Endpoint} was closed."));
                }
            }
            catch (Exception ex)
            {
                Close(ex);
            }

            return replies.Completion.Task;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close(new ObjectDisposedException(nameof(RedisConnection)));
        // The write lock is not disposed: a caller that took this connection just before it closed
        // must still get the connection error from SendAsync, not an ObjectDisposedException.
        await _readLoop;
    }

    private static async Task<RedisConnection> ConnectToAsync(
        RedisEndpoint endpoint,
        RedisConnectionOptions options,
        RemoteCertificateValidationCallback? certificateValidation,
        Action<RespValue>? pushHandler,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream stream;
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(endpoint.Host, endpoint.Port), cancellationToken);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                try
                {
                    await ssl.AuthenticateAsClientAsync(
                        new SslClientAuthenticationOptions
                        {
                            TargetHost = options.SslHost ?? endpoint.Host,
                            RemoteCertificateValidationCallback = certificateValidation,
                        },
                        cancellationToken);
                }
                catch (Exception ex) when (ex is AuthenticationException or IOException)
                {
                    await ssl.DisposeAsync();
                    throw new RedisConnectionException(
                        $"TLS handshake failed ({ex.Message}). The server may not offer TLS (then remove ssl=true), or its certificate is not trusted.", ex);
                }
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new RedisConnection(endpoint, socket, stream, pushHandler);
        try
        {
            await connection.HandshakeAsync(options, cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task HandshakeAsync(RedisConnectionOptions options, CancellationToken cancellationToken)
    {
        if (options.Password is not null)
        {
            var auth = options.User is null
                ? new RedisCommand("AUTH", options.Password)
                : new RedisCommand("AUTH", options.User, options.Password);
            var reply = await HandshakeStepAsync(auth, options, cancellationToken);
            if (reply.Type == RespType.Error)
            {
                throw new RedisConnectionException($"Redis refused the credentials{(options.User is null ? "" : $" of user '{options.User}'")}: {Redact(reply.AsString(), options.Password)}");
            }
        }

        if (options.DefaultDatabase != 0)
        {
            var reply = await HandshakeStepAsync(new RedisCommand("SELECT", options.DefaultDatabase), options, cancellationToken);
            if (reply.Type == RespType.Error)
            {
                throw new RedisConnectionException($"Redis refused database {options.DefaultDatabase}: {reply.AsString()}");
            }
        }

        var ping = await HandshakeStepAsync(new RedisCommand("PING"), options, cancellationToken);
        if (ping.Type == RespType.Error)
        {
            var message = ping.AsString() ?? "";
            throw new RedisConnectionException(message.StartsWith("NOAUTH", StringComparison.Ordinal)
                ? $"Redis requires a password and none was given (add password=... to the connection string): {message}"
                : $"Redis refused PING: {message}");
        }
    }

    private async Task<RespValue> HandshakeStepAsync(RedisCommand command, RedisConnectionOptions options, CancellationToken cancellationToken)
    {
        var replies = await SendAsync([command], cancellationToken);
        try
        {
            return (await replies.WaitAsync(cancellationToken))[0];
        }
        catch (RedisConnectionException ex) when (!options.Ssl)
        {
            throw new RedisConnectionException(
                $"Redis closed the connection during the handshake ({ex.Message}). If the server requires TLS, add ssl=true.", ex);
        }
        catch (RedisProtocolException ex) when (!options.Ssl)
        {
            throw new RedisConnectionException(
                $"The server did not answer in RESP ({ex.Message}). If it requires TLS, add ssl=true.", ex);
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync();
                var buffer = result.Buffer;
                while (RespReader.TryRead(buffer, out var reply, out var consumed))
                {
                    buffer = buffer.Slice(consumed);
                    Dispatch(reply);
                }

                // Consumed up to the last whole reply; examined everything, so the next read waits for new bytes.
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    throw new RedisConnectionException(buffer.IsEmpty
                        ? $"Redis at {Endpoint} closed the connection."
                        : $"Redis at {Endpoint} closed the connection in the middle of a reply.");
                }
            }
        }
        catch (Exception ex)
        {
            Close(ex);
        }
        finally
        {
            await _reader.CompleteAsync();
        }
    }

    private void Dispatch(RespValue reply)
    {
        if (_pushHandler is not null && IsPublishedMessage(reply))
        {
            _pushHandler(reply);
            return;
        }

        PendingReplies? completed = null;
        lock (_pendingLock)
        {
            // A reply nobody asked for means the stream is not what we think it is.
            if (!_pending.TryPeek(out var pending))
            {
                throw new RedisProtocolException("A reply arrived with no command waiting for it.");
            }

            if (pending.Add(reply))
            {
                completed = _pending.Dequeue();
            }
        }

        completed?.Complete();
    }

    private static bool IsPublishedMessage(RespValue reply) =>
        reply is { Type: RespType.Array, Items.Count: 3 } && reply.Items[0].Bytes.Span.SequenceEqual("message"u8);

    private void Close(Exception reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }

        // Ending the stream ends the read loop (ReadAsync throws or completes).
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception)
        {
            // Already gone.
        }

        _socket.Dispose();
        _stream.Dispose();
        _reader.CancelPendingRead();

        var failure = Failure(reason);
        lock (_pendingLock)
        {
            while (_pending.TryDequeue(out var pending))
            {
                pending.Completion.TrySetException(failure);
            }
        }
    }

    private RedisException Failure(Exception reason) => reason switch
    {
        RedisProtocolException protocol => new RedisProtocolException($"Malformed reply from Redis at {Endpoint}; the connection was reset. {protocol.Message}", protocol),
        RedisConnectionException connection => new RedisConnectionException(connection.Message, connection),
        ObjectDisposedException => new RedisConnectionException($"The connection to Redis at {Endpoint} was closed by this client."),
        _ => new RedisConnectionException($"The connection to Redis at {Endpoint} was lost: {reason.Message}", reason),
    };

    private static string Redact(string? message, string? password) =>
        string.IsNullOrEmpty(password) || message is null ? message ?? "" : message.Replace(password, "*****", StringComparison.Ordinal);
}

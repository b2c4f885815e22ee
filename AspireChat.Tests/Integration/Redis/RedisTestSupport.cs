using System.Collections.Concurrent;
using System.Net.Security;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AspireChat.Tests.Integration.Redis;

internal static class TestRedis
{
    /// <summary>
    /// A multiplexer as AddRedisClient makes one (abortConnect=false: it connects in the background and
    /// keeps reconnecting), with short timeouts so fault tests take seconds.
    /// </summary>
    public static ConnectionMultiplexer Connect(string connectionString, ILoggerFactory? logs = null, int timeoutMilliseconds = 5000, RemoteCertificateValidationCallback? certificateValidation = null, int connectTimeoutMilliseconds = 2000)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, connectTimeoutMilliseconds);
        options.AsyncTimeout = timeoutMilliseconds;
        options.SyncTimeout = timeoutMilliseconds;
        options.LoggerFactory = logs;
        if (certificateValidation is not null)
        {
            options.CertificateValidation += certificateValidation;
        }

        return ConnectionMultiplexer.Connect(options);
    }

    public static string Key(string name) => $"test:{Guid.NewGuid():N}:{name}";

    /// <summary>Retries <paramref name="action"/> until it succeeds: for "works again once Redis is back".</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> action, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception exception) when (exception is RedisException or RedisTimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Waits until the stream <paramref name="stream"/> holds at least <paramref name="entries"/> entries (a reply's stored frames).</summary>
    public static Task StreamHoldsAsync(IConnectionMultiplexer redis, RedisKey stream, long entries) =>
        WaitUntilAsync(() => redis.GetDatabase().StreamLength(stream) >= entries, $"The stream never held {entries} entries.");

    /// <summary>Waits until <paramref name="condition"/> holds, for something the client does on its own reader.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string because, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, because);
            await Task.Delay(20);
        }
    }
}

/// <summary>Keeps every log line, with its exception, so tests can look for what must never be logged.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>, ILoggerFactory
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public string Text => string.Join(Environment.NewLine, _lines);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
}

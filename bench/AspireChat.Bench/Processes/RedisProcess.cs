using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace AspireChat.Bench.Processes;

/// <summary>A throw-away redis-server on a free loopback port, with persistence off.</summary>
internal sealed class RedisProcess : IBenchRedis
{
    private const string Executable = "/usr/bin/redis-server";
    private readonly ManagedProcess _process;

    private RedisProcess(ManagedProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int Id => _process.Id;

    /// <summary>The connection string ChatApi reads from <c>ConnectionStrings:cache</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public IReadOnlyList<int> ProcessIds => [Id];

    public static Task<RedisProcess> StartAsync(IReadOnlyList<int>? cores, CancellationToken cancellationToken) =>
        StartAsync(FreePort.Next(), [], cores, cancellationToken);

    /// <summary>A redis-server on <paramref name="port"/> with <paramref name="arguments"/> after the defaults (e.g. cluster mode).</summary>
    public static async Task<RedisProcess> StartAsync(int port, IEnumerable<string> arguments, IReadOnlyList<int>? cores, CancellationToken cancellationToken)
    {
        var process = ManagedProcess.Start(
            "redis",
            Executable,
            ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", .. arguments],
            new Dictionary<string, string?>(),
            cores: cores);
        try
        {
            await WaitForPongAsync(process, port, cancellationToken);
            return new RedisProcess(process, port);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    /// <summary>DBSIZE: how many keys ChatApi wrote, to tell a Redis-backed run from one that silently stayed in memory.</summary>
    public async Task<long> KeyCountAsync(CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("DBSIZE\r\n"u8.ToArray(), cancellationToken);
        var buffer = new byte[32];
        var read = await stream.ReadAsync(buffer, cancellationToken);
        var reply = Encoding.ASCII.GetString(buffer, 0, read);
        return reply.StartsWith(':') ? long.Parse(reply.AsSpan(1).Trim(), CultureInfo.InvariantCulture) : -1;
    }

    private static async Task WaitForPongAsync(ManagedProcess process, int port, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            process.ThrowIfExited();
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, cancellationToken);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
                var buffer = new byte[16];
                var read = await stream.ReadAsync(buffer, cancellationToken);
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException)
            {
                // Not listening yet.
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"redis-server did not answer PING on port {port}.{Environment.NewLine}{process.OutputTail}");
    }
}

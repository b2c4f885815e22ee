using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace AspireChat.Tests.Fixtures;

/// <summary>
/// A TCP proxy in front of a server that a test can make misbehave: add latency to what the
/// server sends, cut every connection, replace the server's next bytes with garbage, or pass
/// only part of the next reply and then cut.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<Pair, byte> _pairs = new();
    private readonly CancellationTokenSource _stopped = new();
    private readonly Task _acceptLoop;
    private byte[]? _garbage;
    private int _truncateTo = -1;

    public FaultProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Added before each chunk the server sends reaches the client.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Connections open right now.</summary>
    public int ConnectionCount => _pairs.Count;

    /// <summary>The next chunk from the server is replaced by <paramref name="garbage"/>.</summary>
    public void ReplaceNextServerBytes(byte[] garbage) => Volatile.Write(ref _garbage, garbage);

    /// <summary>Only the first <paramref name="bytes"/> of the next chunk from the server pass; then the connection is cut.</summary>
    public void TruncateNextServerBytes(int bytes) => Volatile.Write(ref _truncateTo, bytes);

    /// <summary>Closes every open connection at once (new ones are still accepted).</summary>
    public void CutAll()
    {
        foreach (var pair in _pairs.Keys)
        {
            pair.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopped.CancelAsync();
        _listener.Stop();
        CutAll();
        try
        {
            await _acceptLoop;
        }
        catch (Exception)
        {
            // Stopped.
        }

        _stopped.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopped.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopped.Token);
            }
            catch (Exception)
            {
                return;
            }

            var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort);
            }
            catch (SocketException)
            {
                // The server is down: so is the proxy, as far as the client can tell.
                client.Dispose();
                server.Dispose();
                continue;
            }

            var pair = new Pair(client, server);
            _pairs[pair] = 0;
            _ = Task.Run(async () =>
            {
                await Task.WhenAny(PumpAsync(client, server, pair, fromServer: false), PumpAsync(server, client, pair, fromServer: true));
                pair.Close();
                _pairs.TryRemove(pair, out _);
            });
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Pair pair, bool fromServer)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    return;
                }

                var chunk = buffer.AsMemory(0, read);
                if (fromServer)
                {
                    if (Latency > TimeSpan.Zero)
                    {
                        await Task.Delay(Latency);
                    }

                    if (Interlocked.Exchange(ref _garbage, null) is { } garbage)
                    {
                        chunk = garbage;
                    }

                    var truncate = Interlocked.Exchange(ref _truncateTo, -1);
                    if (truncate >= 0)
                    {
                        await to.SendAsync(chunk[..Math.Min(truncate, chunk.Length)], SocketFlags.None);
                        pair.Close();
                        return;
                    }
                }

                await to.SendAsync(chunk, SocketFlags.None);
            }
        }
        catch (Exception)
        {
            // Either side closed.
        }
    }

    private sealed class Pair(Socket client, Socket server)
    {
        public void Close()
        {
            client.Dispose();
            server.Dispose();
        }
    }
}

using System.Net;
using AspireChat.Bench.Processes;

namespace AspireChat.Bench.Load;

/// <summary>
/// Creates the virtual users for a target, sharing the HTTP machinery or the socket loop among them. WebSocket users
/// are spread over several loopback source addresses (127.0.0.1, .2, …) so ten thousand sockets do not run out of
/// ephemeral ports.
/// </summary>
internal sealed class UserFactory : IDisposable
{
    private const int ConnectionsPerSourceAddress = 5_000;
    private readonly List<IDisposable> _owned = [];

    public IReadOnlyList<IVirtualUser> Create(SystemUnderTest system, string model, int count, int? expectedTokens)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (system.Target.Route == Route.DirectToMock)
        {
            var http = Own(new HttpClient(new SocketsHttpHandler { UseCookies = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            });
            return [.. Enumerable.Range(0, count).Select(i => (IVirtualUser)new DirectMockUser(i, http, system.Endpoint, model, expectedTokens))];
        }

        var expectedText = expectedTokens is { } tokens ? MockOpenAI.MockTokens.ExpectedText(tokens) : null;
        return WebSocketUsers(system.Endpoint, count, expectedText);
    }

    /// <summary>Users that only hold a WebSocket open (the baseline's is the mock's bare <c>/ws</c>).</summary>
    public IReadOnlyList<IVirtualUser> CreateIdle(SystemUnderTest system, int count)
    {
        ArgumentNullException.ThrowIfNull(system);
        return WebSocketUsers(system.IdleEndpoint, count, null);
    }

    private IVirtualUser[] WebSocketUsers(Uri endpoint, int count, string? expectedText)
    {
        var sources = Math.Max(1, (count + ConnectionsPerSourceAddress - 1) / ConnectionsPerSourceAddress);
        var loop = Own(new SocketLoop());
        return [.. Enumerable.Range(0, count).Select(i => (IVirtualUser)new WebSocketUser(i, endpoint, loop, SourceAddress(i % sources), expectedText))];
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _owned.Clear();
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private static IPAddress SourceAddress(int index) => new([127, 0, 0, (byte)(index + 1)]);
}

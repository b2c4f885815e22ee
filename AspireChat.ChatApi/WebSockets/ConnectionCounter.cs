using System.Collections.Concurrent;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>Counts each client's open sockets, so one client cannot hold connections without limit.</summary>
public sealed class ConnectionCounter
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>Takes a slot for <paramref name="clientId"/> if it holds fewer than <paramref name="limit"/>.</summary>
    public bool TryAcquire(string clientId, int limit)
    {
        while (true)
        {
            var current = _open.GetValueOrDefault(clientId);
            if (current >= limit)
            {
                return false;
            }

            if (current == 0 ? _open.TryAdd(clientId, 1) : _open.TryUpdate(clientId, current + 1, current))
            {
                return true;
            }
        }
    }

    public void Release(string clientId)
    {
        while (_open.TryGetValue(clientId, out var current))
        {
            if (current <= 1 ? _open.TryRemove(new KeyValuePair<string, int>(clientId, current)) : _open.TryUpdate(clientId, current - 1, current))
            {
                return;
            }
        }
    }
}

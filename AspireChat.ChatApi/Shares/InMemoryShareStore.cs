using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Shares;

/// <summary>Shares in process memory, beside the in-memory conversation store; expiry is checked as they are read.</summary>
public sealed class InMemoryShareStore(IOptions<ShareOptions> options, TimeProvider timeProvider) : IShareStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _shares = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _created = new(StringComparer.Ordinal);

    public Task<TimeSpan?> CreateAsync(string ownerId, string shareId, ShareListing listing, byte[] snapshot, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (!_created.TryGetValue(ownerId, out var created))
            {
                _created[ownerId] = created = new Queue<DateTimeOffset>();
            }

            while (created.TryPeek(out var oldest) && oldest <= now - ShareOptions.Window)
            {
                created.Dequeue();
            }

            if (created.Count >= options.Value.PerHour)
            {
                return Task.FromResult<TimeSpan?>(created.Peek() + ShareOptions.Window - now);
            }

            created.Enqueue(now);
            _shares[shareId] = new Entry(ownerId, listing, snapshot);
            return Task.FromResult<TimeSpan?>(null);
        }
    }

    public Task<byte[]?> GetAsync(string shareId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(Live(shareId)?.Snapshot);
        }
    }

    public Task<IReadOnlyList<(string ShareId, ShareListing Listing)>> ListAsync(string ownerId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<(string, ShareListing)> owned = [.. _shares
                .Where(s => s.Value.OwnerId == ownerId && Live(s.Key) is not null)
                .OrderByDescending(s => s.Value.Listing.CreatedAt)
                .Select(s => (s.Key, s.Value.Listing))];
            return Task.FromResult(owned);
        }
    }

    public Task<bool> RevokeAsync(string ownerId, string shareId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_shares.TryGetValue(shareId, out var entry) && entry.OwnerId == ownerId && _shares.Remove(shareId));
        }
    }

    /// <summary>The share unless it expired (then it is dropped).</summary>
    private Entry? Live(string shareId)
    {
        if (!_shares.TryGetValue(shareId, out var entry))
        {
            return null;
        }

        if (entry.Listing.ExpiresAt > timeProvider.GetUtcNow())
        {
            return entry;
        }

        _shares.Remove(shareId);
        return null;
    }

    private sealed record Entry(string OwnerId, ShareListing Listing, byte[] Snapshot);
}

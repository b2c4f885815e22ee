namespace AspireChat.ChatApi.Shares;

/// <summary>
/// Where shares live: each share's snapshot under its own id, readable by anyone who has the id, and each
/// owner's list of their shares with the count that limits how many they make (docs/redis.md, "Shares").
/// </summary>
public interface IShareStore
{
    /// <summary>
    /// Stores a new share of <paramref name="ownerId"/>'s: <paramref name="snapshot"/> is its public JSON.
    /// Returns null when it was stored, or how long until the owner may make another (<c>Shares:PerHour</c>).
    /// </summary>
    Task<TimeSpan?> CreateAsync(string ownerId, string shareId, ShareListing listing, byte[] snapshot, CancellationToken cancellationToken);

    /// <summary>The share's public JSON, or null when it does not exist, expired or was revoked.</summary>
    Task<byte[]?> GetAsync(string shareId, CancellationToken cancellationToken);

    /// <summary>The owner's shares that can still be opened, newest first.</summary>
    Task<IReadOnlyList<(string ShareId, ShareListing Listing)>> ListAsync(string ownerId, CancellationToken cancellationToken);

    /// <summary>Revokes the share; from then on it is not found anywhere. False when it is not the owner's.</summary>
    Task<bool> RevokeAsync(string ownerId, string shareId, CancellationToken cancellationToken);
}

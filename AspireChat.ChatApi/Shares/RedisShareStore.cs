using System.Text.Json;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static AspireChat.ChatApi.Redis.RedisKeys;

namespace AspireChat.ChatApi.Shares;

/// <summary>
/// Shares in Redis (docs/redis.md, "Shares"): the snapshot is one string with a time to live under the share's
/// own key, so opening a share is one <c>GET</c>, on any replica; the owner's list and rate-limit window are two
/// keys tagged <c>{ownerId}</c>, written by one script. Making a share writes the owner's keys first, then the
/// snapshot; revoking deletes the snapshot first: a crash in between leaves a listing entry without a share,
/// which the listing drops, and never a share its owner cannot see or revoke.
/// </summary>
public sealed class RedisShareStore(IConnectionMultiplexer redis, IOptions<ShareOptions> options, TimeProvider timeProvider) : IShareStore
{
    // Returns 0 when the share may be made (and is listed), else the milliseconds until the oldest share of the
    // last hour leaves the window.
    private static readonly LuaScript CreateScript = LuaScript.Prepare("""
        local now = tonumber(@Now)
        local window = tonumber(@Window)
        redis.call('ZREMRANGEBYSCORE', @Created, '-inf', now - window)
        if redis.call('ZCARD', @Created) >= tonumber(@PerHour) then
          local oldest = redis.call('ZRANGE', @Created, 0, 0, 'WITHSCORES')
          return math.max(1, tonumber(oldest[2]) + window - now)
        end
        redis.call('ZADD', @Created, now, @ShareId)
        redis.call('PEXPIRE', @Created, window)
        redis.call('HSET', @Shares, @ShareId, @Listing)
        redis.call('PEXPIRE', @Shares, @Ttl)
        return 0
        """);

    private IDatabase Database => redis.GetDatabase();

    public async Task<TimeSpan?> CreateAsync(string ownerId, string shareId, ShareListing listing, byte[] snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(shareId);
        var ttl = options.Value.TimeToLive;
        var wait = (long)await Database.ScriptEvaluateAsync(CreateScript, new Create(
            OwnerShares(ownerId),
            OwnerSharesCreated(ownerId),
            shareId,
            JsonSerializer.SerializeToUtf8Bytes(listing, SharesJsonContext.Default.ShareListing),
            timeProvider.GetUtcNow().ToUnixTimeMilliseconds(),
            (long)ShareOptions.Window.TotalMilliseconds,
            options.Value.PerHour,
            (long)ttl.TotalMilliseconds)).WaitAsync(cancellationToken);
        if (wait > 0)
        {
            return TimeSpan.FromMilliseconds(wait);
        }

        await Database.StringSetAsync(ShareSnapshot(shareId), snapshot, ttl).WaitAsync(cancellationToken);
        return null;
    }

    public async Task<byte[]?> GetAsync(string shareId, CancellationToken cancellationToken) =>
        (byte[]?)await Database.StringGetAsync(ShareSnapshot(shareId)).WaitAsync(cancellationToken);

    public async Task<IReadOnlyList<(string ShareId, ShareListing Listing)>> ListAsync(string ownerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        var entries = await Database.HashGetAllAsync(OwnerShares(ownerId)).WaitAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        var listed = entries
            .Select(e => ((string)e.Name!, JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)e.Value).Span, SharesJsonContext.Default.ShareListing)!))
            .ToList();
        // Pipelined: one round trip's worth of waiting for every share's snapshot.
        var exists = await Task.WhenAll(listed.Select(s => s.Item2.ExpiresAt > now ? Database.KeyExistsAsync(ShareSnapshot(s.Item1)) : Task.FromResult(false))).WaitAsync(cancellationToken);
        var stale = listed.Where((_, i) => !exists[i]).Select(s => (RedisValue)s.Item1).ToArray();
        if (stale.Length > 0)
        {
            // Expired, or left behind by a crash between the two writes of a share: forgotten here.
            await Database.HashDeleteAsync(OwnerShares(ownerId), stale).WaitAsync(cancellationToken);
        }

        return [.. listed.Where((_, i) => exists[i]).OrderByDescending(s => s.Item2.CreatedAt)];
    }

    public async Task<bool> RevokeAsync(string ownerId, string shareId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownerId);
        ArgumentNullException.ThrowIfNull(shareId);
        if (!await Database.HashExistsAsync(OwnerShares(ownerId), shareId).WaitAsync(cancellationToken))
        {
            return false;
        }

        // The share first: from this moment every replica answers 404.
        await Database.KeyDeleteAsync(ShareSnapshot(shareId)).WaitAsync(cancellationToken);
        await Database.HashDeleteAsync(OwnerShares(ownerId), shareId).WaitAsync(cancellationToken);
        return true;
    }

    /// <summary>The create script's parameters, by name.</summary>
    private sealed record Create(RedisKey Shares, RedisKey Created, string ShareId, byte[] Listing, long Now, long Window, int PerHour, long Ttl);
}

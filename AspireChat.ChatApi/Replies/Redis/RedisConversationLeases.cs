using System.Diagnostics.CodeAnalysis;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>
/// The conversation lease across instances: the conversation's lease key holds the id of the reply streaming there
/// (<c>SET NX PX</c>), renewed every third of <see cref="ReplyOptions.Lease"/> while it streams, released (compare and
/// delete) at its end. Taking it also makes the reply the conversation's latest, and ends the previous latest first if
/// its producer died, so the turn reads it in history.
/// </summary>
internal sealed class RedisConversationLeases(
    IConnectionMultiplexer multiplexer,
    ReplyWriteConnection writes,
    IConversationStore store,
    RedisReplyFinalizer finalizer,
    IOptions<ReplyOptions> options,
    TimeProvider timeProvider,
    ILogger<RedisConversationLeases> logger) : IConversationLeases
{
    private readonly IDatabase _redis = multiplexer.GetDatabase();
    private readonly ReplyOptions _options = options.Value;
    private readonly IDatabase _writes = writes.Database;
    private readonly TimeProvider _timeProvider = timeProvider;
    private readonly ILogger _logger = logger;

    public async Task<LeaseClaim> TakeAsync(LeaseRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = _options;
        var leaseKey = RedisKeys.ConversationLease(request.ConversationId);
        var parameters = new TakeLeaseParameters(
            RedisKeys.Conversation(request.ConversationId),
            leaseKey,
            RedisKeys.LatestReply(request.ConversationId),
            request.OwnerId,
            request.MessageId,
            request.IsNewConversation ? "1" : "0",
            (long)settings.Lease.TotalMilliseconds,
            (long)(settings.Retention + TimeSpan.FromDays(1)).TotalMilliseconds);
        var taken = (RedisResult[])(await _redis.ScriptEvaluateAsync(RedisReplyScripts.TakeLease, parameters).WaitAsync(cancellationToken))!;
        // Not under today's keys: the store moves a conversation of the old layout when it looks for it.
        if ((string?)taken[0] == "not_found" && await store.ExistsAsync(request.OwnerId, request.ConversationId, cancellationToken))
        {
            taken = (RedisResult[])(await _redis.ScriptEvaluateAsync(RedisReplyScripts.TakeLease, parameters).WaitAsync(cancellationToken))!;
        }

        switch ((string?)taken[0])
        {
            case "busy":
                return new LeaseClaim(LeaseOutcome.Busy);
            case "not_found":
                return new LeaseClaim(LeaseOutcome.NotFound);
        }

        try
        {
            // The conversation's previous reply: if its producer died, it is ended and saved before this turn reads history.
            if ((string?)taken[1] is { Length: > 0 } previous && previous != request.MessageId)
            {
                await finalizer.FinalizeIfUnfinishedAsync(request.ConversationId, previous, cancellationToken);
            }
        }
        catch
        {
            // Taking it failed half-way and the message is refused: the conversation must not stay busy until the key lapses.
            await ((Task)_redis.ScriptEvaluateAsync(RedisReplyScripts.ReleaseLease, new LeaseParameters(leaseKey, request.MessageId))).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        return new LeaseClaim(LeaseOutcome.Taken, new Lease(this, leaseKey, request.MessageId));
    }

    /// <summary>
    /// A lease held here. Its renewals and its release go out on the reply's write connection
    /// (<see cref="ReplyWriteConnection"/>) in the order they are sent, and <see cref="_gate"/> orders the sending: no
    /// renewal (which takes a vanished key back) can follow the release there. The release does not wait for the
    /// renewal loop to wind down.
    /// </summary>
    [SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable", Justification = "The renewal loop disposes it as it ends, which it does once the lease is released.")]
    private sealed class Lease : ConversationLease
    {
        private readonly RedisConversationLeases _leases;
        private readonly LeaseParameters _parameters;
        private readonly CancellationTokenSource _released = new();
        private readonly Lock _gate = new();
        private bool _releasing;

        public Lease(RedisConversationLeases leases, RedisKey key, string messageId)
        {
            _leases = leases;
            _parameters = new LeaseParameters(key, messageId, (long)leases._options.Lease.TotalMilliseconds);
            _ = RenewAsync();
        }

        public override async Task ReleaseAsync()
        {
            Task<RedisResult> releasing;
            lock (_gate)
            {
                if (_releasing)
                {
                    return;
                }

                _releasing = true;
                releasing = _leases._writes.ScriptEvaluateAsync(RedisReplyScripts.ReleaseLease, _parameters);
            }

            _released.Cancel();
            try
            {
                // Bounded: with Redis away the release would wait the multiplexer's whole timeout, and hold up the
                // reply's end for nothing, since the lease lapses by itself.
                await releasing.WaitAsync(_leases._options.Lease / 3, _leases._timeProvider);
            }
            catch (Exception exception) when (exception.IsRedisFault() || exception is TimeoutException)
            {
                ReplyLog.LeaseNotReleased(_leases._logger, exception, _parameters.MessageId);
            }
        }

        private async Task RenewAsync()
        {
            using var released = _released;
            var period = _leases._options.Lease / 3;
            while (true)
            {
                // Cancelled at every reply's end: awaited without throwing, since a TaskCanceledException per reply
                // showed in the benchmark's counters.
                await Task.Delay(period, _leases._timeProvider, released.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                Task<RedisResult> renewing;
                lock (_gate)
                {
                    if (_releasing)
                    {
                        return;
                    }

                    renewing = _leases._writes.ScriptEvaluateAsync(RedisReplyScripts.RenewLease, _parameters);
                }

                try
                {
                    if ((long)await renewing == 0)
                    {
                        ReplyLog.LeaseLost(_leases._logger, _parameters.MessageId);
                    }
                }
                catch (Exception exception) when (exception.IsRedisFault())
                {
                    ReplyLog.LeaseNotRenewed(_leases._logger, exception, _parameters.MessageId);
                }
            }
        }
    }
}

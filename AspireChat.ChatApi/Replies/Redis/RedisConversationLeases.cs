using System.Diagnostics.CodeAnalysis;
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
    RedisReplyFinalizer finalizer,
    IOptions<ReplyOptions> options,
    TimeProvider timeProvider,
    ILogger<RedisConversationLeases> logger) : IConversationLeases
{
    private readonly IDatabase _redis = multiplexer.GetDatabase();
    private readonly ReplyOptions _options = options.Value;
    private readonly TimeProvider _timeProvider = timeProvider;
    private readonly ILogger _logger = logger;

    public async Task<LeaseClaim> TakeAsync(LeaseRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = _options;
        var leaseKey = RedisKeys.ConversationLease(request.ConversationId);
        var taken = (RedisResult[])(await _redis.ScriptEvaluateAsync(RedisReplyScripts.TakeLease, new TakeLeaseParameters(
            RedisKeys.Conversation(request.ConversationId),
            leaseKey,
            RedisKeys.LatestReply(request.ConversationId),
            request.OwnerId,
            request.MessageId,
            request.IsNewConversation ? "1" : "0",
            (long)settings.Lease.TotalMilliseconds,
            (long)(settings.Retention + TimeSpan.FromDays(1)).TotalMilliseconds)).WaitAsync(cancellationToken))!;
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
                await finalizer.FinalizeIfUnfinishedAsync(previous, cancellationToken);
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

    [SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable", Justification = "Released exactly once by its holder (ReplyCoordinator), which disposes the renewal's cancellation.")]
    private sealed class Lease : ConversationLease
    {
        private readonly RedisConversationLeases _leases;
        private readonly LeaseParameters _parameters;
        private readonly CancellationTokenSource _released = new();
        private readonly Task _renewing;
        private int _releasing;

        public Lease(RedisConversationLeases leases, RedisKey key, string messageId)
        {
            _leases = leases;
            _parameters = new LeaseParameters(key, messageId, (long)leases._options.Lease.TotalMilliseconds);
            _renewing = RenewAsync(_released.Token);
        }

        public override async Task ReleaseAsync()
        {
            if (Interlocked.Exchange(ref _releasing, 1) == 1)
            {
                return;
            }

            await _released.CancelAsync();
            await _renewing;
            _released.Dispose();
            try
            {
                // Bounded: with Redis away the release would wait the multiplexer's whole timeout, and hold up the
                // reply's end for nothing, since the lease lapses by itself.
                await _leases._redis.ScriptEvaluateAsync(RedisReplyScripts.ReleaseLease, _parameters).WaitAsync(_leases._options.Lease / 3, _leases._timeProvider);
            }
            catch (Exception exception) when (exception.IsRedisFault() || exception is TimeoutException)
            {
                ReplyLog.LeaseNotReleased(_leases._logger, exception, _parameters.MessageId);
            }
        }

        private async Task RenewAsync(CancellationToken cancellationToken)
        {
            var period = _leases._options.Lease / 3;
            while (true)
            {
                // Cancelled at every reply's end: awaited without throwing, since a TaskCanceledException per reply
                // showed in the benchmark's counters.
                await Task.Delay(period, _leases._timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                try
                {
                    if ((long)await _leases._redis.ScriptEvaluateAsync(RedisReplyScripts.RenewLease, _parameters) == 0)
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

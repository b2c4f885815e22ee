using System.Collections.Concurrent;
using System.Diagnostics;
using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Protocol;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Replies;

/// <summary>
/// Runs chat turns: a flow per message, in the background, so a reply does not depend on the connection that asked
/// for it. Holds each turn's conversation lease around its flow and sends the end (or the refusal) only once the lease
/// is released; carries stop requests; at shutdown lets replies finish (or saves them as partial) before the host stops.
/// </summary>
public sealed class ReplyCoordinator(
    ChatTurnFlow flow,
    IConversationLeases leases,
    IReplyBroker broker,
    IOptions<ChatServiceOptions> options,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<ReplyCoordinator> logger) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<ChatTurn, Task> _running = new();
    private readonly CancellationTokenSource _drained = new();
    private volatile bool _disposed;
    private Task _draining = Task.CompletedTask;
    private int _listening;

    /// <summary>Cancelled at shutdown once every reply has ended: then connections may close.</summary>
    public CancellationToken Drained => _drained.Token;

    /// <summary>
    /// Starts a reply to <paramref name="request"/> with <paramref name="observer"/> watching it.
    /// Refusals (busy, not found, store down) reach the observer as an error frame.
    /// </summary>
    public LiveReply Begin(ChatTurnRequest request, IReplyObserver observer)
    {
        ArgumentNullException.ThrowIfNull(request);
        var turn = new ChatTurn(request, timeProvider.GetUtcNow());
        turn.Reply.Attach(observer);
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            turn.Reply.Reject(new ErrorFrame(ErrorCodes.ShuttingDown, "The server is restarting; send the message again in a moment.") { ConversationId = request.ConversationId });
            turn.Dispose();
            return turn.Reply;
        }

        // Registered before it starts, so a turn that ends at once is still removed, and a stop finds it.
        var run = new Task<Task>(() => RunAsync(turn));
        _running[turn] = run.Unwrap();
        run.Start(TaskScheduler.Default);
        return turn.Reply;
    }

    /// <summary>
    /// Stops the reply streaming in the owner's conversation, here or on any other instance.
    /// True when it streams here.
    /// </summary>
    public bool Stop(string ownerId, string conversationId)
    {
        _ = TellOtherInstancesAsync(ownerId, conversationId);
        return StopHere(ownerId, conversationId);
    }

    private async Task TellOtherInstancesAsync(string ownerId, string conversationId)
    {
        try
        {
            await broker.RequestStopAsync(ownerId, conversationId, CancellationToken.None);
        }
        catch (Exception exception)
        {
            ReplyLog.StopNotSent(logger, exception);
        }
    }

    private bool StopHere(string ownerId, string conversationId)
    {
        var stopped = false;
        foreach (var turn in _running.Keys)
        {
            // A refused turn stays listed until its last frames are published: it stops nothing, so it is not counted.
            if (turn.ConversationId == conversationId && turn.OwnerId == ownerId && !turn.Reply.WasRefused)
            {
                turn.RequestStop();
                stopped = true;
            }
        }

        return stopped;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _listening, 1) == 0)
        {
            broker.OnStopRequested((ownerId, conversationId) => StopHere(ownerId, conversationId));
        }

        // Kestrel stops before other hosted services and waits for open sockets, so draining
        // starts on ApplicationStopping, ahead of every StopAsync.
        lifetime.ApplicationStopping.Register(() => _draining = DrainThenReleaseConnectionsAsync());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _draining.WaitAsync(cancellationToken);

    private async Task DrainThenReleaseConnectionsAsync()
    {
        try
        {
            await DrainAsync();
        }
        finally
        {
            // The host may stop twice (tests' factories do) and dispose in between.
            if (!_disposed)
            {
                await _drained.CancelAsync();
            }
        }
    }

    private async Task DrainAsync()
    {
        var running = _running.ToArray();
        if (running.Length == 0)
        {
            return;
        }

        var drainTime = options.Value.ShutdownDrainTime;
        ChatLog.DrainingReplies(logger, running.Length, drainTime);
        var all = Task.WhenAll(running.Select(r => r.Value));
        await Task.WhenAny(all, Task.Delay(drainTime, timeProvider));
        foreach (var (turn, _) in _running)
        {
            turn.RequestStop();
        }

        await all.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _disposed = true;
        _drained.Dispose();
    }

    private async Task RunAsync(ChatTurn turn)
    {
        // A reply is its own trace (or the client's, via traceparent), not a child of the long-lived socket's
        // request span; it links to that span instead.
        var connection = Activity.Current?.Context ?? default;
        Activity.Current = null;
        using var activity = ReplyTelemetry.StartReply(turn.Traceparent, connection, turn.ReceivedAt);
        turn.Reply.Activity = activity;
        ReplyTelemetry.ActiveReplies.Add(1);
        var started = timeProvider.GetTimestamp();
        try
        {
            if (await TakeLeaseAsync(turn) is not { } lease)
            {
                return;
            }

            if (await RunWithLeaseAsync(turn, lease) is { } refusal)
            {
                turn.Reply.Reject(refusal);
            }
            else
            {
                End(turn);
            }
        }
        finally
        {
            ReplyTelemetry.ActiveReplies.Add(-1);
            ReplyTelemetry.ReplyDuration.Record(timeProvider.GetElapsedTime(started).TotalSeconds);
            // Watchers elsewhere still get this reply's last frames from the broker, and a shutdown waits for them.
            await turn.Published.WaitAsync(options.Value.ShutdownDrainTime + TimeSpan.FromSeconds(5), timeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _running.TryRemove(turn, out _);
            turn.Dispose();
        }
    }

    /// <summary>The turn's lease, or null when the turn was refused (the refusal is sent).</summary>
    private async Task<ConversationLease?> TakeLeaseAsync(ChatTurn turn)
    {
        LeaseClaim claim;
        try
        {
            claim = await leases.TakeAsync(new LeaseRequest(turn.OwnerId, turn.ConversationId, turn.Reply.MessageId, turn.IsNewConversation), CancellationToken.None);
        }
        catch (Exception exception)
        {
            ChatLog.StoreUnavailable(logger, exception);
            turn.Reply.Reject(new ErrorFrame(ErrorCodes.StoreUnavailable, "The conversation store is unavailable; your message was not taken. Try again shortly.") { ConversationId = ConversationIdOf(turn) });
            return null;
        }

        switch (claim.Outcome)
        {
            case LeaseOutcome.Busy:
                turn.Reply.Reject(new ErrorFrame(ErrorCodes.ConversationBusy, "A reply is still streaming in this conversation; stop it or wait for its end.") { ConversationId = turn.ConversationId });
                return null;
            case LeaseOutcome.NotFound:
                turn.Reply.Reject(new ErrorFrame(ErrorCodes.NotFound, "No such conversation.") { ConversationId = turn.ConversationId });
                return null;
            default:
                return claim.Lease;
        }
    }

    /// <summary>Runs the flow while the turn holds its conversation; returns the refusal to send, if the turn was refused.</summary>
    private async Task<ErrorFrame?> RunWithLeaseAsync(ChatTurn turn, ConversationLease lease)
    {
        try
        {
            await flow.RunAsync(turn, CancellationToken.None);
            return null;
        }
        catch (ChatTurnRejectedException rejected)
        {
            return rejected.Error;
        }
        catch (Exception exception)
        {
            // A safety net: whatever broke, nobody waits forever for an end.
            ChatLog.TurnCrashed(logger, exception);
            return turn.Reply.ConversationId is null ? new ErrorFrame(ErrorCodes.ModelError, "The message could not be answered.") : null;
        }
        finally
        {
            // The one place a turn lets go of its conversation, before anyone hears the end or the refusal: a client that
            // answers at once must find the conversation free, on this instance or any other.
            await lease.ReleaseAsync();
        }
    }

    /// <summary>Sends the reply's end: after the flow, so every frame the nodes sent (an error included) is before it.</summary>
    private static void End(ChatTurn turn)
    {
        if (turn.Result is not { } result)
        {
            // The flow broke after the reply started (the safety net above).
            turn.Reply.Fail(ErrorCodes.ModelError, "The reply failed.");
            result = new ChatReply(turn.Reply.Text, FinishReasons.Error, null, new InvalidOperationException("The turn broke off."));
        }

        ReplyTelemetry.RecordEnd(turn.Reply.Activity, result.FinishReason, result.Error);
        turn.Reply.End(result.FinishReason, result.Usage);
    }

    /// <summary>A new conversation's id is the client's to learn from <c>start</c>, not from a refusal.</summary>
    private static string? ConversationIdOf(ChatTurn turn) => turn.IsNewConversation ? null : turn.ConversationId;
}

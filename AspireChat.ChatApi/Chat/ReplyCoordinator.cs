using System.Diagnostics;
using System.Collections.Concurrent;
using AspireChat.ChatApi.Flow;
using AspireChat.ChatApi.Protocol;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Chat;

/// <summary>What a client asks for: a user message, in a conversation or a new one.</summary>
public sealed record ChatTurnRequest(string OwnerId, string Content, string? ConversationId, string? ClientMessageId, string? Traceparent, string? OriginId = null, TurnKind Kind = TurnKind.Message, string? TargetMessageId = null);

/// <summary>
/// Runs chat turns: a new flow per message, in the background, so a reply does not depend on the
/// connection that asked for it. Guards the one-reply-per-conversation rule, carries stop
/// requests, and at shutdown lets replies finish (or saves them as partial) before the host stops.
/// </summary>
public sealed class ReplyCoordinator(
    IServiceProvider services,
    IReplyBroker broker,
    IOptions<ChatServiceOptions> options,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<ReplyCoordinator> logger) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<string, ChatTurn> _streaming = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ChatTurn, Task> _running = new();
    private readonly CancellationTokenSource _drained = new();
    private volatile bool _disposed;
    private Task _draining = Task.CompletedTask;
    private int _listening;

    /// <summary>Cancelled at shutdown once every reply has ended: then connections may close.</summary>
    public CancellationToken Drained => _drained.Token;

    /// <summary>Replies streaming now.</summary>
    public int ActiveCount => _running.Count;

    /// <summary>
    /// Starts a reply to <paramref name="request"/> with <paramref name="observer"/> watching it.
    /// Refusals (busy, not found, store down) reach the observer as an error frame.
    /// </summary>
    public LiveReply Begin(ChatTurnRequest request, IReplyObserver observer)
    {
        var turn = new ChatTurn(request.OwnerId, request.ConversationId, request.Content, request.ClientMessageId, request.Traceparent, timeProvider.GetUtcNow())
        {
            ConversationCreated = created => _streaming.TryAdd(created.ConversationId!, created),
            ReleaseConversation = Release,
            OriginId = request.OriginId,
            Kind = request.Kind,
            TargetMessageId = request.TargetMessageId,
        };
        turn.Reply.Attach(observer);
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            turn.Reply.Reject(new ErrorFrame(ErrorCodes.ShuttingDown, "The server is restarting; send the message again in a moment.") { ConversationId = request.ConversationId });
            turn.Dispose();
            return turn.Reply;
        }

        if (request.ConversationId is { } conversationId && !_streaming.TryAdd(conversationId, turn))
        {
            // Another owner's conversation must look like any unknown one, busy or not.
            var error = _streaming.TryGetValue(conversationId, out var current) && current.OwnerId == request.OwnerId
                ? new ErrorFrame(ErrorCodes.ConversationBusy, "A reply is still streaming in this conversation; stop it or wait for its end.")
                : new ErrorFrame(ErrorCodes.NotFound, "No such conversation.");
            turn.Reply.Reject(error with { ConversationId = conversationId });
            turn.Dispose();
            return turn.Reply;
        }

        // Registered before it starts, so a turn that ends at once is still removed.
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
        if (_streaming.TryGetValue(conversationId, out var turn) && turn.OwnerId == ownerId)
        {
            turn.RequestStop();
            return true;
        }

        return false;
    }

    /// <summary>Moves the conversation's active leaf (a <c>switch</c>); the caller gets the <c>branch</c> frame or the error.</summary>
    public Task<ServerFrame> SwitchBranchAsync(string ownerId, string conversationId, string? messageId, string? parentId, int? index, string? originId, CancellationToken cancellationToken) =>
        services.GetRequiredService<BranchSwitcher>().SwitchAsync(ownerId, conversationId, messageId, parentId, index, originId, cancellationToken);

    /// <summary>The reply streaming in the owner's conversation, or null.</summary>
    public LiveReply? FindStreaming(string ownerId, string conversationId) =>
        _streaming.TryGetValue(conversationId, out var turn) && turn.OwnerId == ownerId ? turn.Reply : null;

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

    private void Release(ChatTurn turn)
    {
        if (turn.ConversationId is { } conversationId)
        {
            _streaming.TryRemove(new KeyValuePair<string, ChatTurn>(conversationId, turn));
        }
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
        using var activity = ChatTelemetry.StartReply(turn.Traceparent, connection);
        turn.Reply.Activity = activity;
        ChatTelemetry.ActiveReplies.Add(1);
        var started = timeProvider.GetTimestamp();
        try
        {
            var node = ActivatorUtilities.CreateInstance<StreamingChatNode>(services);
            await new AsyncFlow<ChatTurn>(node, logger).RunAsync(turn, CancellationToken.None);
        }
        catch (ChatTurnRejectedException rejected)
        {
            // Released before the client hears the refusal, as the node releases before the end: a client that
            // answers at once must not find the conversation held by the turn that was just refused.
            Release(turn);
            turn.Reply.Reject(rejected.Error);
        }
        catch (Exception exception)
        {
            // A safety net: whatever broke, nobody waits forever for an end.
            ChatLog.TurnCrashed(logger, exception);
            Release(turn);
            if (turn.Reply.ConversationId is null)
            {
                turn.Reply.Reject(new ErrorFrame(ErrorCodes.ModelError, "The message could not be answered."));
            }
            else if (!turn.Reply.HasEnded)
            {
                turn.Reply.Fail(ErrorCodes.ModelError, "The reply failed.");
                turn.Reply.End(FinishReasons.Error, null);
            }
        }
        finally
        {
            ChatTelemetry.ActiveReplies.Add(-1);
            ChatTelemetry.ReplyDuration.Record(timeProvider.GetElapsedTime(started).TotalSeconds);
            Release(turn);

            // The conversation takes the next message now; watchers elsewhere still get this reply's
            // last frames from the broker, and a shutdown waits for them.
            await turn.Published.WaitAsync(options.Value.ShutdownDrainTime + TimeSpan.FromSeconds(5), timeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _running.TryRemove(turn, out _);
            turn.Dispose();
        }
    }
}

using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Chat;

/// <summary>
/// The broker of a single instance: replies live as <see cref="LiveReply"/> objects, kept for
/// <see cref="ReplyBrokerOptions.Retention"/> after their end so a client can still resume them.
/// The one-reply-per-conversation rule is the coordinator's; a stop is always local.
/// </summary>
public sealed class InMemoryReplyBroker(IConversationStore store, IOptions<ReplyBrokerOptions> options, TimeProvider timeProvider) : IReplyBroker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _replies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LiveReply> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Watcher>> _watchers = new(StringComparer.Ordinal);

    public Task<ClaimResult> ClaimAsync(ChatTurn turn, ConversationMessage userMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        ArgumentNullException.ThrowIfNull(userMessage);
        var conversationId = turn.ConversationId!;
        Watcher[] watchers;
        lock (_lock)
        {
            _replies[turn.Reply.MessageId] = new Entry(turn.OwnerId, conversationId, turn.Reply, userMessage);
            _active[conversationId] = turn.Reply;
            watchers = _watchers.TryGetValue(conversationId, out var list) ? [.. list] : [];
        }

        var echo = new UserFrame(conversationId, userMessage.Id, turn.Reply.MessageId, userMessage.Content) { ParentId = userMessage.ParentId };
        foreach (var watcher in watchers.Where(w => w.OwnerId == turn.OwnerId))
        {
            if (watcher.OriginId != turn.OriginId)
            {
                watcher.Observer.TryDeliver(echo);
            }

            // Before the reply starts, so the watcher gets all of it live.
            watcher.Follow(turn.Reply, afterSeq: 0);
        }

        return Task.FromResult(ClaimResult.Claimed);
    }

    public Task Publish(ChatTurn turn, ConversationMessage userMessage)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var ended = new EndObserver(turn.Reply);
        turn.Reply.Attach(ended);
        return ended.Ended.ContinueWith(_ => Forget(turn.ConversationId!, turn.Reply), TaskScheduler.Default);
    }

    public async Task<(IAsyncDisposable? Watch, ErrorFrame? Error)> WatchAsync(WatchRequest request, IReplyObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var notFound = new ErrorFrame(ErrorCodes.NotFound, "No such conversation or reply.") { ConversationId = request.ConversationId, MessageId = request.MessageId };
        Entry? resumed = null;
        if (request.MessageId is { } messageId)
        {
            Entry? entry;
            lock (_lock)
            {
                _replies.TryGetValue(messageId, out entry);
            }

            if (entry is null || entry.OwnerId != request.OwnerId || entry.ConversationId != request.ConversationId)
            {
                return (null, notFound);
            }

            if (request.LastSeq > entry.Reply.Seq)
            {
                return (null, InvalidSeq(request, entry.Reply.Seq));
            }

            resumed = entry;
        }
        else if (await store.GetAsync(request.OwnerId, request.ConversationId, cancellationToken) is null)
        {
            return (null, notFound);
        }

        var watcher = new Watcher(this, request.OwnerId, request.ConversationId, request.OriginId, observer);
        Entry? active;
        lock (_lock)
        {
            if (!_watchers.TryGetValue(request.ConversationId, out var list))
            {
                _watchers[request.ConversationId] = list = [];
            }

            list.Add(watcher);
            active = _active.TryGetValue(request.ConversationId, out var reply) ? _replies.GetValueOrDefault(reply.MessageId) : null;
        }

        if (resumed is not null)
        {
            watcher.Follow(resumed.Reply, request.LastSeq);
        }

        if (active is not null && active != resumed)
        {
            // From its start, with the message it answers: history holds neither until the reply ends.
            observer.TryDeliver(new UserFrame(active.ConversationId, active.UserMessage.Id, active.Reply.MessageId, active.UserMessage.Content) { ParentId = active.UserMessage.ParentId });
            watcher.Follow(active.Reply, afterSeq: 0);
        }

        return (watcher, null);
    }

    // A producer here dies only with the process, and every reply it held in memory with it.
    public Task<bool> FinalizeAbandonedReplyAsync(string conversationId, CancellationToken cancellationToken) => Task.FromResult(false);

    public Task PublishFrameAsync(string ownerId, string conversationId, ServerFrame frame, string? originId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Watcher[] watchers;
        lock (_lock)
        {
            watchers = _watchers.TryGetValue(conversationId, out var list) ? [.. list] : [];
        }

        foreach (var watcher in watchers.Where(w => w.OwnerId == ownerId && w.OriginId != originId))
        {
            watcher.Observer.TryDeliver(frame);
        }

        return Task.CompletedTask;
    }

    public Task RequestStopAsync(string ownerId, string conversationId, CancellationToken cancellationToken) => Task.CompletedTask;

    public void OnStopRequested(Action<string, string> stop)
    {
        // One instance: the coordinator stops its own replies; nothing arrives from elsewhere.
    }

    internal static ErrorFrame InvalidSeq(WatchRequest request, long seq) =>
        new(ErrorCodes.InvalidSeq, $"\"lastSeq\" {request.LastSeq} is past the reply's last chunk ({seq}).") { ConversationId = request.ConversationId, MessageId = request.MessageId };

    private void Forget(string conversationId, LiveReply reply)
    {
        lock (_lock)
        {
            if (_active.GetValueOrDefault(conversationId) == reply)
            {
                _active.Remove(conversationId);
            }
        }

        _ = Task.Delay(options.Value.Retention, timeProvider).ContinueWith(_ =>
        {
            lock (_lock)
            {
                _replies.Remove(reply.MessageId);
            }
        }, TaskScheduler.Default);
    }

    private void Remove(Watcher watcher)
    {
        lock (_lock)
        {
            if (_watchers.TryGetValue(watcher.ConversationId, out var list) && list.Remove(watcher) && list.Count == 0)
            {
                _watchers.Remove(watcher.ConversationId);
            }
        }
    }

    private sealed record Entry(string OwnerId, string ConversationId, LiveReply Reply, ConversationMessage UserMessage);

    /// <summary>One connection watching one conversation; it follows each reply there.</summary>
    private sealed class Watcher(InMemoryReplyBroker broker, string ownerId, string conversationId, string originId, IReplyObserver observer) : IAsyncDisposable
    {
        private readonly List<LiveReply> _following = [];

        public string OwnerId { get; } = ownerId;

        public string ConversationId { get; } = conversationId;

        public string OriginId { get; } = originId;

        public IReplyObserver Observer { get; } = observer;

        public void Follow(LiveReply reply, long afterSeq)
        {
            lock (_following)
            {
                // Ended replies have let their observers go; only live ones need detaching later.
                _following.RemoveAll(r => r.HasEnded);
                _following.Add(reply);
            }

            reply.Attach(Observer, afterSeq);
        }

        public ValueTask DisposeAsync()
        {
            broker.Remove(this);
            lock (_following)
            {
                foreach (var reply in _following)
                {
                    reply.Detach(Observer, disconnected: true);
                }

                _following.Clear();
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Completes when the reply ends (or is refused).</summary>
    private sealed class EndObserver(LiveReply reply) : IReplyObserver
    {
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Ended => _ended.Task;

        public bool TryDeliver(ServerFrame frame)
        {
            if (frame is EndFrame || (frame is ErrorFrame && reply.ConversationId is null))
            {
                _ended.TrySetResult();
            }

            return true;
        }
    }
}

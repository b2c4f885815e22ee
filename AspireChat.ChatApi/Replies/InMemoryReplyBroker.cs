using AspireChat.ChatApi.Chat;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using Microsoft.Extensions.Options;

namespace AspireChat.ChatApi.Replies;

/// <summary>
/// The broker of a single instance: replies live as <see cref="LiveReply"/> objects, kept for
/// <see cref="ReplyOptions.Retention"/> after their end so a client can still resume them. The reply streaming in a
/// conversation now is the holder of its lease; a stop is always local. Ended replies leave in the order they ended,
/// swept as new replies come (no timer per reply), and one past its retention is not found even before it is swept.
/// </summary>
public sealed class InMemoryReplyBroker(IConversationStore store, InMemoryConversationLeases leases, IOptions<ReplyOptions> options, TimeProvider timeProvider) : IReplyBroker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _replies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Watcher>> _watchers = new(StringComparer.Ordinal);
    // Ended replies by when they expire, oldest first: the retention is one setting, so they expire in the order they end.
    private readonly Queue<Entry> _ended = new();

    public Task PublishAsync(ChatTurn turn, ConversationMessage userMessage)
    {
        ArgumentNullException.ThrowIfNull(turn);
        ArgumentNullException.ThrowIfNull(userMessage);
        var entry = new Entry(turn.OwnerId, turn.ConversationId, turn.OriginId, turn.Reply, userMessage);
        Watcher[] watchers;
        lock (_lock)
        {
            ForgetExpired();
            _replies[turn.Reply.MessageId] = entry;
            watchers = _watchers.TryGetValue(turn.ConversationId, out var list) ? [.. list] : [];
        }

        foreach (var watcher in watchers)
        {
            // Before the reply starts, so the watcher gets all of it live.
            watcher.Follow(entry, afterSeq: 0);
        }

        var ended = new EndObserver(this, entry);
        turn.Reply.Attach(ended);
        return ended.Ended;
    }

    public async Task<(IAsyncDisposable? Watch, ErrorFrame? Error)> WatchAsync(WatchRequest request, IReplyObserver observer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var notFound = new ErrorFrame(ErrorCodes.NotFound, "No such conversation or reply.") { ConversationId = request.ConversationId, MessageId = request.MessageId };
        Entry? resumed = null;
        if (request.MessageId is { } messageId)
        {
            lock (_lock)
            {
                resumed = _replies.GetValueOrDefault(messageId);
            }

            if (resumed is null || resumed.ExpiresAt <= timeProvider.GetUtcNow() || resumed.OwnerId != request.OwnerId || resumed.ConversationId != request.ConversationId)
            {
                return (null, notFound);
            }

            if (request.LastSeq > resumed.Reply.Seq)
            {
                return (null, InvalidSeq(request, resumed.Reply.Seq));
            }
        }
        else if (!await store.ExistsAsync(request.OwnerId, request.ConversationId, cancellationToken))
        {
            return (null, notFound);
        }

        var watcher = new Watcher(this, request.ConversationId, request.OriginId, observer);
        Entry? streaming;
        lock (_lock)
        {
            if (!_watchers.TryGetValue(request.ConversationId, out var list))
            {
                _watchers[request.ConversationId] = list = [];
            }

            list.Add(watcher);
            streaming = leases.Holder(request.ConversationId) is { } holder ? _replies.GetValueOrDefault(holder) : null;
        }

        if (resumed is not null)
        {
            watcher.Follow(resumed, request.LastSeq, withUserMessage: false);
        }

        if (streaming is not null && streaming != resumed)
        {
            // From its start, with the message it answers: history holds neither until the reply ends.
            watcher.Follow(streaming, afterSeq: 0);
        }

        return (watcher, null);
    }

    // A producer here dies only with the process, and every reply it held in memory with it.
    public Task<bool> FinalizeAbandonedReplyAsync(string conversationId, CancellationToken cancellationToken) => Task.FromResult(false);

    public Task PublishToWatchersAsync(string conversationId, ServerFrame frame, string? originId, CancellationToken cancellationToken)
    {
        Watcher[] watchers;
        lock (_lock)
        {
            watchers = _watchers.TryGetValue(conversationId, out var list) ? [.. list] : [];
        }

        foreach (var watcher in watchers.Where(w => w.OriginId != originId))
        {
            watcher.Observer.TryDeliver(frame);
        }

        return Task.CompletedTask;
    }

    // One instance: the coordinator stops its own replies, and nothing arrives from elsewhere.
    public Task RequestStopAsync(string ownerId, string conversationId, CancellationToken cancellationToken) => Task.CompletedTask;

    public void OnStopRequested(Action<string, string> stop)
    {
    }

    internal static ErrorFrame InvalidSeq(WatchRequest request, long seq) =>
        new(ErrorCodes.InvalidSeq, $"\"lastSeq\" {request.LastSeq} is past the reply's last chunk ({seq}).") { ConversationId = request.ConversationId, MessageId = request.MessageId };

    private void Ended(Entry entry)
    {
        lock (_lock)
        {
            entry.ExpiresAt = timeProvider.GetUtcNow() + options.Value.Retention;
            _ended.Enqueue(entry);
        }
    }

    /// <summary>Lets go of the ended replies past their retention. Under <see cref="_lock"/>.</summary>
    private void ForgetExpired()
    {
        var now = timeProvider.GetUtcNow();
        while (_ended.TryPeek(out var oldest) && oldest.ExpiresAt <= now)
        {
            _replies.Remove(_ended.Dequeue().Reply.MessageId);
        }
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

    private sealed record Entry(string OwnerId, string ConversationId, string? OriginId, LiveReply Reply, ConversationMessage UserMessage)
    {
        /// <summary>Set when the reply ends.</summary>
        public DateTimeOffset ExpiresAt { get; set; } = DateTimeOffset.MaxValue;
    }

    /// <summary>One connection watching one conversation; it follows each reply there but its own connection's.</summary>
    private sealed class Watcher(InMemoryReplyBroker broker, string conversationId, string originId, IReplyObserver observer) : IAsyncDisposable
    {
        private readonly List<LiveReply> _following = [];

        public string ConversationId { get; } = conversationId;

        public string OriginId { get; } = originId;

        public IReplyObserver Observer { get; } = observer;

        public void Follow(Entry entry, long afterSeq, bool withUserMessage = true)
        {
            if (entry.OriginId == OriginId)
            {
                // The connection asked for this reply: it is attached to it already.
                return;
            }

            lock (_following)
            {
                // Ended replies have let their observers go; only live ones need detaching later.
                _following.RemoveAll(r => r.HasEnded);
                _following.Add(entry.Reply);
            }

            var user = entry.UserMessage;
            if (withUserMessage)
            {
                Observer.TryDeliver(new UserFrame(entry.ConversationId, user.Id, entry.Reply.MessageId, user.Content) { ParentId = user.ParentId });
            }

            entry.Reply.Attach(Observer, afterSeq);
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

    /// <summary>Completes when the reply ends (or is refused), and starts its retention.</summary>
    private sealed class EndObserver(InMemoryReplyBroker broker, Entry entry) : IReplyObserver
    {
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Ended => _ended.Task;

        public bool TryDeliver(ServerFrame frame)
        {
            if (frame is EndFrame || (frame is ErrorFrame { MessageId: null }))
            {
                broker.Ended(entry);
                _ended.TrySetResult();
            }

            return true;
        }
    }
}

using System.Diagnostics;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.Replies;

/// <summary>
/// One assistant reply as it streams: numbers its chunks and hands every frame, in order, to
/// each observer. A reply does not belong to the connection that asked for it: observers come
/// and go (a late one gets what it missed first), and the reply runs to its end without any.
/// </summary>
public sealed class LiveReply(string? replyTo)
{
    private readonly Lock _lock = new();
    private readonly List<IReplyObserver> _observers = [];
    // The chunks' text: a list while the reply streams. Once it has ended (and is kept for a resume), one string and
    // where each chunk ends in it: two objects instead of one per chunk, for the GC to keep and scan.
    private List<string>? _chunks = [];
    private string? _text;
    private int[]? _chunkEnds;
    private readonly TaskCompletionSource<ErrorFrame?> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _refused;
    private StartFrame? _start;
    private EndFrame? _end;

    /// <summary>The assistant message's id.</summary>
    public string MessageId { get; } = ConversationIds.New();

    /// <summary>The id of the user message this reply answers.</summary>
    public string? ReplyTo { get; } = replyTo;

    public string? ConversationId => _start?.ConversationId;

    /// <summary>The model asked for the reply, once it has started.</summary>
    public string? Model => _start?.Model;

    /// <summary>The reply's span, for the events observers add (a client going away).</summary>
    public Activity? Activity { get; set; }

    /// <summary>Completes when the reply has started (null) or was refused before it started (the error).</summary>
    public Task<ErrorFrame?> Ready => _ready.Task;

    /// <summary>Refused before it started (<see cref="Reject"/>): there is nothing of it to stop.</summary>
    public bool WasRefused => Volatile.Read(ref _refused);

    /// <summary>Chunks streamed so far; the last chunk's <c>seq</c>.</summary>
    public long Seq
    {
        get
        {
            lock (_lock)
            {
                return ChunkCount;
            }
        }
    }

    /// <summary>The text streamed so far.</summary>
    public string Text
    {
        get
        {
            lock (_lock)
            {
                return _text ?? string.Concat(_chunks!);
            }
        }
    }

    private int ChunkCount => _chunks?.Count ?? _chunkEnds!.Length;

    public bool HasEnded
    {
        get
        {
            lock (_lock)
            {
                return _end is not null;
            }
        }
    }

    /// <summary>Adds an observer. A reply already under way is replayed to it first: the start, the chunks after <paramref name="afterSeq"/>, the end.</summary>
    public void Attach(IReplyObserver observer, long afterSeq = 0)
    {
        lock (_lock)
        {
            var delivered = _start is null || observer.TryDeliver(_start);
            for (var i = (int)Math.Min(afterSeq, ChunkCount); delivered && i < ChunkCount; i++)
            {
                delivered = observer.TryDeliver(new ChunkFrame(_start!.ConversationId, MessageId, i + 1, ChunkText(i)));
            }

            delivered = delivered && (_end is null || observer.TryDeliver(_end));
            if (delivered && _end is null)
            {
                _observers.Add(observer);
            }
        }
    }

    /// <summary>Removes an observer; <paramref name="disconnected"/> records on the span that a client went away mid-reply.</summary>
    public void Detach(IReplyObserver observer, bool disconnected)
    {
        lock (_lock)
        {
            if (_observers.Remove(observer) && disconnected && _end is null)
            {
                Activity?.AddEvent(new ActivityEvent(ReplyTelemetry.Events.ClientDisconnected));
            }
        }
    }

    /// <summary>Sends <c>start</c>; only the first call does anything, so a retried model call does not start twice.</summary>
    public void Start(string conversationId, string model, string? parentId = null)
    {
        lock (_lock)
        {
            if (_start is not null)
            {
                return;
            }

            _start = new StartFrame(conversationId, MessageId, ReplyTo, model) { ParentId = parentId };
            Broadcast(_start);
        }

        _ready.TrySetResult(null);
    }

    /// <summary>Sends the next chunk; returns its <c>seq</c>.</summary>
    public long Append(string text)
    {
        lock (_lock)
        {
            var chunks = _chunks!;
            chunks.Add(text);
            Broadcast(new ChunkFrame(_start!.ConversationId, MessageId, chunks.Count, text));
            return chunks.Count;
        }
    }

    /// <summary>Sends an error that concerns this reply.</summary>
    public void Fail(string code, string message)
    {
        lock (_lock)
        {
            Broadcast(new ErrorFrame(code, message) { ConversationId = ConversationId, MessageId = _start is null ? null : MessageId, ReplyTo = ReplyTo });
        }
    }

    /// <summary>Refuses the message before any reply started: an error and no <c>start</c> or <c>end</c>.</summary>
    public void Reject(ErrorFrame error)
    {
        lock (_lock)
        {
            // Before the refusal goes out: whoever it reaches sees the reply refused.
            Volatile.Write(ref _refused, true);
            Broadcast(error with { ReplyTo = ReplyTo });
            _observers.Clear();
        }

        _ready.TrySetResult(error);
    }

    /// <summary>Sends <c>end</c>, lets the observers go, and keeps the text compactly for a late resume.</summary>
    public void End(string finishReason, TokenUsage? usage)
    {
        lock (_lock)
        {
            _end = new EndFrame(_start!.ConversationId, MessageId, ReplyTo, finishReason, usage);
            Broadcast(_end);
            _observers.Clear();
            Compact();
            // The span has ended with the reply; nothing kept for a resume needs it.
            Activity = null;
        }
    }

    private void Broadcast(ServerFrame frame)
    {
        // Observers only enqueue, so delivering under the lock keeps every observer's order without blocking the model.
        // One that cannot take the frame is let go; the others keep their places.
        var kept = 0;
        for (var i = 0; i < _observers.Count; i++)
        {
            var observer = _observers[i];
            if (observer.TryDeliver(frame))
            {
                _observers[kept++] = observer;
            }
        }

        _observers.RemoveRange(kept, _observers.Count - kept);
    }

    private string ChunkText(int index) =>
        _chunks is { } chunks ? chunks[index] : _text![(index == 0 ? 0 : _chunkEnds![index - 1]).._chunkEnds![index]];

    private void Compact()
    {
        var chunks = _chunks!;
        var ends = new int[chunks.Count];
        for (int i = 0, end = 0; i < chunks.Count; i++)
        {
            ends[i] = end += chunks[i].Length;
        }

        _text = string.Concat(chunks);
        _chunkEnds = ends;
        _chunks = null;
    }
}

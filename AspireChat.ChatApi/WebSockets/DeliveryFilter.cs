using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// What one connection's watches have sent it of each reply. A resume says how far the client got (its last seq),
/// and a resume of a conversation already watched replaces that watch while frames of the old one may still be on
/// their way: each watch is complete and in order, and passing only the start once, chunks past the last seq sent,
/// errors once and the end once gives the client every frame exactly once, in order.
/// </summary>
/// <remarks>
/// Once a reply's end has passed, the client has all of it, so the reply's state is dropped and only
/// its id is kept, among the last <see cref="EndedRemembered"/> ended: a connection that lives for
/// thousands of replies holds a bounded filter. A replaced watch trails by moments, not by dozens of replies.
/// </remarks>
internal sealed class DeliveryFilter
{
    internal const int EndedRemembered = 32;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, State> _replies = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ended = new(StringComparer.Ordinal);
    private readonly Queue<string> _endedInOrder = new();

    /// <summary>Replies the filter holds anything for: the ones in flight and the recently ended.</summary>
    internal int Tracked
    {
        get
        {
            lock (_lock)
            {
                return _replies.Count + _ended.Count;
            }
        }
    }

    public bool IsNew(ServerFrame frame)
    {
        lock (_lock)
        {
            switch (frame)
            {
                case StartFrame start:
                    return !_ended.Contains(start.MessageId) && !For(start.MessageId).Started && (For(start.MessageId).Started = true);
                case ChunkFrame chunk:
                    if (_ended.Contains(chunk.MessageId) || chunk.Seq <= For(chunk.MessageId).Seq)
                    {
                        return false;
                    }

                    For(chunk.MessageId).Seq = chunk.Seq;
                    return true;
                case EndFrame end:
                    return Ended(end.MessageId);
                case ErrorFrame { MessageId: { } messageId } error:
                    return !_ended.Contains(messageId) && For(messageId).Errors.Add(error.Code);
                default:
                    return true;
            }
        }
    }

    /// <summary>The client has the reply up to <paramref name="lastSeq"/>; it is told about it again from there.</summary>
    public void Resumed(string messageId, long lastSeq)
    {
        lock (_lock)
        {
            _ended.Remove(messageId);
            _replies[messageId] = new State { Seq = lastSeq };
        }
    }

    private bool Ended(string messageId)
    {
        if (!_ended.Add(messageId))
        {
            return false;
        }

        _replies.Remove(messageId);
        _endedInOrder.Enqueue(messageId);
        while (_endedInOrder.Count > EndedRemembered)
        {
            // A reply resumed after its end and ended again is queued twice: its later end counts.
            var oldest = _endedInOrder.Dequeue();
            if (!_endedInOrder.Contains(oldest))
            {
                _ended.Remove(oldest);
            }
        }

        return true;
    }

    private State For(string messageId)
    {
        if (!_replies.TryGetValue(messageId, out var state))
        {
            _replies[messageId] = state = new State();
        }

        return state;
    }

    private sealed class State
    {
        public bool Started { get; set; }

        public long Seq { get; set; }

        public HashSet<string> Errors { get; } = new(StringComparer.Ordinal);
    }
}

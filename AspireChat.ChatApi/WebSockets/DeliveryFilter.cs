using AspireChat.ChatApi.Protocol;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// What one connection has been sent of each reply. A reply may reach a connection by two paths
/// (the reply it asked for, and the conversation it watches), each complete and in order; passing
/// only the start once, chunks past the last seq sent, errors once and the end once gives the
/// client every frame exactly once, in order.
/// </summary>
internal sealed class DeliveryFilter
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, State> _replies = new(StringComparer.Ordinal);

    public bool IsNew(ServerFrame frame)
    {
        lock (_lock)
        {
            switch (frame)
            {
                case StartFrame start:
                    return !For(start.MessageId).Started && (For(start.MessageId).Started = true);
                case ChunkFrame chunk:
                    var state = For(chunk.MessageId);
                    if (chunk.Seq <= state.Seq)
                    {
                        return false;
                    }

                    state.Seq = chunk.Seq;
                    return true;
                case EndFrame end:
                    return !For(end.MessageId).Ended && (For(end.MessageId).Ended = true);
                case ErrorFrame { MessageId: { } messageId } error:
                    return For(messageId).Errors.Add(error.Code);
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
            _replies[messageId] = new State { Seq = lastSeq };
        }
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

        public bool Ended { get; set; }

        public HashSet<string> Errors { get; } = new(StringComparer.Ordinal);
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Replies;

namespace AspireChat.ChatApi.WebSockets;

/// <summary>
/// The replies one connection asked for, and each one's <c>ws send</c> span: the connection's part of the reply,
/// under the reply's span, from its start frame to its end frame on this socket. Made when first needed, so an idle
/// connection holds none of it.
/// </summary>
internal sealed class ReplySendSpans : IDisposable
{
    // Written by the receive loop as it asks for a reply, read by the send loop and at the end.
    private ConcurrentDictionary<string, LiveReply>? _asked;
    // The send loop's alone.
    private Dictionary<string, Activity>? _spans;

    public void Asked(LiveReply reply) =>
        LazyInitializer.EnsureInitialized(ref _asked, static () => new ConcurrentDictionary<string, LiveReply>(StringComparer.Ordinal))[reply.MessageId] = reply;

    /// <summary>Called by the send loop with each frame as it goes out.</summary>
    public void Sending(ServerFrame frame)
    {
        switch (frame)
        {
            case StartFrame start when _asked is { } asked && asked.TryGetValue(start.MessageId, out var reply) && reply.Activity is { } parent:
                if (ReplyTelemetry.Source.StartActivity("ws send", ActivityKind.Producer, parent.Context) is { } span)
                {
                    (_spans ??= new Dictionary<string, Activity>(StringComparer.Ordinal))[start.MessageId] = span;
                }

                break;
            case EndFrame end:
                _asked?.TryRemove(end.MessageId, out _);
                if (_spans is { } spans && spans.Remove(end.MessageId, out var sendSpan))
                {
                    sendSpan.SetTag("gen_ai.response.finish_reasons", new[] { end.FinishReason });
                    sendSpan.Dispose();
                }

                break;
        }
    }

    /// <summary>The connection has ended: the replies it asked for go on without it.</summary>
    public void DetachAll(IReplyObserver connection, bool disconnected)
    {
        foreach (var reply in _asked?.Values ?? [])
        {
            reply.Detach(connection, disconnected);
        }
    }

    public void Dispose()
    {
        if (_spans is null)
        {
            return;
        }

        foreach (var span in _spans.Values)
        {
            span.Dispose();
        }
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Conversations.Redis;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Replies.Redis;

/// <summary>A frame as it travels over pub/sub: the reply's <paramref name="FrameNumber"/>-th frame (0 for a frame of no reply), and the connection that caused it.</summary>
internal sealed record ReplyEnvelope(long FrameNumber, string MessageId, string Origin, ServerFrame Frame);

/// <summary>A stored frame read back from a reply's stream; the first (the start) also names the owner, the user message and the origin.</summary>
internal sealed record StoredFrame(long FrameNumber, long Seq, ServerFrame Frame, string? OwnerId, ConversationMessage? UserMessage, string? Origin);

/// <summary>
/// How reply frames are written to Redis streams and pub/sub messages: frame JSON as on the wire. A message holds one
/// or more envelopes, each <c>frameNumber messageId origin</c>, a newline and the frame's JSON, separated by newlines:
/// compact JSON holds no raw newline, so one always ends a frame. A batch of frames stored together is published as
/// one message (built by <see cref="RedisReplyScripts.Store"/>).
/// </summary>
internal static class RedisReplyFormat
{
    /// <summary>Written in place of a connection's id by what no connection caused (a finalizer).</summary>
    public const string NoOrigin = "-";

    public static byte[] Json(ServerFrame frame) => JsonSerializer.SerializeToUtf8Bytes(frame, ProtocolJsonContext.Default.ServerFrame);

    public static ServerFrame Frame(ReadOnlySpan<byte> json) => JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.ServerFrame)!;

    /// <summary>A message of one frame that belongs to no reply (frame number 0): a branch switch.</summary>
    public static byte[] Envelope(ServerFrame frame, string? origin) =>
        [.. Encoding.UTF8.GetBytes($"0 {NoOrigin} {origin ?? NoOrigin}\n"), .. Json(frame)];

    /// <summary>The frames of a message, in order; a malformed envelope ends the list.</summary>
    public static List<ReplyEnvelope> ParseEnvelopes(ReadOnlySpan<byte> payload)
    {
        List<ReplyEnvelope> envelopes = [];
        while (!payload.IsEmpty)
        {
            var newline = payload.IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            var header = Encoding.UTF8.GetString(payload[..newline]).Split(' ');
            if (header.Length != 3 || !long.TryParse(header[0], NumberStyles.None, CultureInfo.InvariantCulture, out var frameNumber))
            {
                break;
            }

            payload = payload[(newline + 1)..];
            var end = payload.IndexOf((byte)'\n');
            envelopes.Add(new ReplyEnvelope(frameNumber, header[1], header[2], Frame(end < 0 ? payload : payload[..end])));
            payload = end < 0 ? [] : payload[(end + 1)..];
        }

        return envelopes;
    }

    /// <summary>The first entry's user message, as history stores it.</summary>
    public static byte[] UserJson(ConversationMessage userMessage) =>
        JsonSerializer.SerializeToUtf8Bytes(userMessage, RedisConversationJsonContext.Default.ConversationMessage);

    /// <summary>The stream's last entry (XREVRANGE key + - COUNT 1), or null for an empty or missing stream.</summary>
    public static async Task<StoredFrame?> LastAsync(IDatabaseAsync redis, RedisKey key)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var entries = await redis.StreamRangeAsync(key, count: 1, messageOrder: Order.Descending);
        return entries.Length == 0 ? null : Parse(entries[0]);
    }

    public static StoredFrame Parse(StreamEntry entry)
    {
        ServerFrame? frame = null;
        long seq = 0;
        string? owner = null;
        string? origin = null;
        ConversationMessage? user = null;
        foreach (var field in entry.Values)
        {
            switch ((string?)field.Name)
            {
                case RedisKeys.ReplyFields.Frame:
                    frame = Frame(((ReadOnlyMemory<byte>)field.Value).Span);
                    break;
                case RedisKeys.ReplyFields.Seq:
                    seq = (long)field.Value;
                    break;
                case RedisKeys.ReplyFields.Owner:
                    owner = field.Value;
                    break;
                case RedisKeys.ReplyFields.Origin:
                    origin = field.Value;
                    break;
                case RedisKeys.ReplyFields.User:
                    user = JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)field.Value).Span, RedisConversationJsonContext.Default.ConversationMessage);
                    break;
            }
        }

        return new StoredFrame(RedisKeys.FrameNumber(entry.Id!), seq, frame ?? throw new InvalidDataException("A reply stream entry has no frame."), owner, user, origin);
    }
}

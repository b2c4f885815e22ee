using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using StackExchange.Redis;

namespace AspireChat.ChatApi.Chat;

/// <summary>A frame as it travels over pub/sub: the reply's n-th frame (0 for a user message), and the connection that caused it.</summary>
internal sealed record ReplyEnvelope(long N, string MessageId, string Origin, ServerFrame Frame);

/// <summary>A stored reply read back from its stream.</summary>
internal sealed record StoredFrame(long N, long Seq, ServerFrame Frame, string? OwnerId, ConversationMessage? UserMessage);

/// <summary>
/// How reply frames are written to Redis streams and pub/sub messages: frame JSON as on the wire. A
/// message holds one or more envelopes, each <c>n messageId origin</c>, a newline and the frame's
/// JSON, separated by newlines: compact JSON holds no raw newline, so one always ends a frame. A batch
/// of frames stored together is published as one message.
/// </summary>
internal static class RedisReplyFormat
{
    public static byte[] Json(ServerFrame frame) => JsonSerializer.SerializeToUtf8Bytes(frame, ProtocolJsonContext.Default.ServerFrame);

    public static ServerFrame Frame(ReadOnlySpan<byte> json) => JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.ServerFrame)!;

    /// <summary>A message of one frame.</summary>
    public static byte[] Envelope(long n, string messageId, string? origin, ServerFrame frame)
    {
        var message = new ArrayBufferWriter<byte>();
        AppendEnvelope(message, n, messageId, origin, Json(frame));
        return message.WrittenSpan.ToArray();
    }

    /// <summary>Adds a frame to a message, around JSON already serialized (for the stream entry too): one serialization per frame.</summary>
    public static void AppendEnvelope(ArrayBufferWriter<byte> message, long n, string messageId, string? origin, ReadOnlySpan<byte> frameJson)
    {
        ArgumentNullException.ThrowIfNull(message);
        origin ??= "-";
        if (message.WrittenCount > 0)
        {
            message.Write("\n"u8);
        }

        var header = message.GetSpan(22 + Encoding.UTF8.GetMaxByteCount(messageId.Length + origin.Length));
        Utf8.TryWrite(header, CultureInfo.InvariantCulture, $"{n} {messageId} {origin}\n", out var written);
        message.Advance(written);
        message.Write(frameJson);
    }

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
            if (header.Length != 3 || !long.TryParse(header[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                break;
            }

            payload = payload[(newline + 1)..];
            var end = payload.IndexOf((byte)'\n');
            envelopes.Add(new ReplyEnvelope(n, header[1], header[2], Frame(end < 0 ? payload : payload[..end])));
            payload = end < 0 ? [] : payload[(end + 1)..];
        }

        return envelopes;
    }

    /// <summary>The first frame's extra fields (start): the owner and the user message, in the stream only.</summary>
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
        ConversationMessage? user = null;
        foreach (var field in entry.Values)
        {
            switch ((string?)field.Name)
            {
                case RedisReplyKeys.FrameField:
                    frame = Frame(((ReadOnlyMemory<byte>)field.Value).Span);
                    break;
                case RedisReplyKeys.SeqField:
                    seq = (long)field.Value;
                    break;
                case RedisReplyKeys.OwnerField:
                    owner = field.Value;
                    break;
                case RedisReplyKeys.UserField:
                    user = JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)field.Value).Span, RedisConversationJsonContext.Default.ConversationMessage);
                    break;
            }
        }

        return new StoredFrame(RedisReplyKeys.EntryNumber(entry.Id!), seq, frame ?? throw new InvalidDataException("A reply stream entry has no frame."), owner, user);
    }
}

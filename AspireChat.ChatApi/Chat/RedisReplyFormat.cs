using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using AspireChat.ChatApi.Conversations;
using AspireChat.ChatApi.Protocol;
using AspireChat.ChatApi.Redis;

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
    // Encoded once: every frame of every reply sends them.
    private static readonly RedisArg MaxLength = "MAXLEN";
    private static readonly RedisArg Approximately = "~";
    private static readonly RedisArg FrameField = RedisReplyKeys.FrameField;
    private static readonly RedisArg SeqField = RedisReplyKeys.SeqField;
    private static readonly RedisArg OwnerField = RedisReplyKeys.OwnerField;
    private static readonly RedisArg UserField = RedisReplyKeys.UserField;

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

    /// <summary>
    /// XADD key MAXLEN ~ max 0-n frame {json} seq {seq}: the n-th frame, at an id the writer chooses,
    /// so a rewrite cannot duplicate it. The first frame (start) also holds the owner and the user message.
    /// </summary>
    public static RedisCommand XAdd(RedisArg key, RedisArg maxLength, long n, ReadOnlyMemory<byte> frameJson, long seq, string? ownerId = null, ConversationMessage? userMessage = null)
    {
        List<RedisArg> arguments = new(11) { key, MaxLength, Approximately, maxLength, RedisReplyKeys.EntryId(n), FrameField, frameJson, SeqField, seq };
        if (ownerId is not null && userMessage is not null)
        {
            arguments.Add(OwnerField);
            arguments.Add(ownerId);
            arguments.Add(UserField);
            arguments.Add(JsonSerializer.SerializeToUtf8Bytes(userMessage, RedisConversationJsonContext.Default.ConversationMessage));
        }

        return new RedisCommand("XADD", arguments);
    }

    /// <summary>The stream's last entry (XREVRANGE key + - COUNT 1), or null for an empty or missing stream.</summary>
    public static async Task<StoredFrame?> LastAsync(IRedisCommandExecutor redis, string key, CancellationToken cancellationToken)
    {
        var reply = await redis.ExecuteAsync(new RedisCommand("XREVRANGE", key, "+", "-", "COUNT", 1), cancellationToken);
        if (reply.Items.Count == 0)
        {
            return null;
        }

        var entry = reply.Items[0];
        return Parse(new RedisStreamEntry(
            entry.Items[0].AsString()!,
            [.. entry.Items[1].Items.Chunk(2).Select(pair => KeyValuePair.Create(Encoding.UTF8.GetString(pair[0].Bytes.Span), pair[1].Bytes))]));
    }

    public static StoredFrame Parse(RedisStreamEntry entry)
    {
        ServerFrame? frame = null;
        long seq = 0;
        string? owner = null;
        ConversationMessage? user = null;
        foreach (var (field, value) in entry.Fields)
        {
            switch (field)
            {
                case RedisReplyKeys.FrameField:
                    frame = Frame(value.Span);
                    break;
                case RedisReplyKeys.SeqField:
                    seq = long.Parse(Encoding.ASCII.GetString(value.Span), CultureInfo.InvariantCulture);
                    break;
                case RedisReplyKeys.OwnerField:
                    owner = Encoding.UTF8.GetString(value.Span);
                    break;
                case RedisReplyKeys.UserField:
                    user = JsonSerializer.Deserialize(value.Span, RedisConversationJsonContext.Default.ConversationMessage);
                    break;
            }
        }

        return new StoredFrame(RedisReplyKeys.EntryNumber(entry.Id), seq, frame ?? throw new RedisUnexpectedReplyException("A reply stream entry has no frame."), owner, user);
    }
}

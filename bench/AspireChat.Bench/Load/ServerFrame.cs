using System.Text;
using System.Text.Json;

namespace AspireChat.Bench.Load;

/// <summary>The kinds of server frame the load generator tells apart (docs/protocol.md).</summary>
public enum FrameType
{
    Other,
    Start,
    Chunk,
    End,
    Error,
}

/// <summary>
/// The fields of a server frame the load generator needs, read with one forward pass of a
/// <see cref="Utf8JsonReader"/>: the generator shares a core with the mock, so it must stay cheap. Once the type is
/// known (ChatApi writes it first) only that type's fields are read: a chunk allocates nothing.
/// </summary>
public readonly record struct ServerFrame(FrameType Type, long Seq, string? ConversationId, string? FinishReason, string? Code, string? Message = null)
{
    /// <summary>Reads one frame; a chunk's content is appended to <paramref name="content"/> when given.</summary>
    public static ServerFrame Parse(ReadOnlySpan<byte> json, StringBuilder? content = null)
    {
        var reader = new Utf8JsonReader(json);
        FrameType? type = null;
        long seq = 0;
        string? conversationId = null, finishReason = null, code = null, message = null, text = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A frame must be a JSON object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.ValueTextEquals("chunk"u8) ? FrameType.Chunk
                    : reader.ValueTextEquals("start"u8) ? FrameType.Start
                    : reader.ValueTextEquals("end"u8) ? FrameType.End
                    : reader.ValueTextEquals("error"u8) ? FrameType.Error
                    : FrameType.Other;
            }
            else if (reader.ValueTextEquals("seq"u8))
            {
                reader.Read();
                seq = reader.GetInt64();
            }
            else if (type is null or FrameType.Start && reader.ValueTextEquals("conversationId"u8))
            {
                reader.Read();
                conversationId = reader.GetString();
            }
            else if (type is null or FrameType.End && reader.ValueTextEquals("finishReason"u8))
            {
                reader.Read();
                finishReason = reader.GetString();
            }
            else if (type is null or FrameType.Error && reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = reader.GetString();
            }
            else if (type is null or FrameType.Error && reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = reader.GetString();
            }
            else if (content is not null && reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                text = reader.GetString();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (type == FrameType.Chunk && text is not null)
        {
            content!.Append(text);
        }

        return new ServerFrame(type ?? FrameType.Other, seq, conversationId, finishReason, code, message);
    }
}

using System.Text.Json;

namespace AspireChat.ChatApi.Protocol;

/// <summary>
/// Writes a server frame's JSON, byte for byte as the protocol's serializer would. A chunk, nearly
/// every frame of a reply, is written by hand: the polymorphic serializer allocates its state on every
/// call, which showed in the allocation profile at the relay ceiling. Both the socket's send loop and
/// the Redis reply stream write frames through here.
/// </summary>
public static class ServerFrameJson
{
    // A chunk's JSON as the protocol's serializer writes it (camelCase, the type first).
    private static readonly JsonEncodedText TypeProperty = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText ChunkType = JsonEncodedText.Encode("chunk");
    private static readonly JsonEncodedText ConversationIdProperty = JsonEncodedText.Encode("conversationId");
    private static readonly JsonEncodedText MessageIdProperty = JsonEncodedText.Encode("messageId");
    private static readonly JsonEncodedText SeqProperty = JsonEncodedText.Encode("seq");
    private static readonly JsonEncodedText ContentProperty = JsonEncodedText.Encode("content");

    public static void Write(Utf8JsonWriter writer, ServerFrame frame)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (frame is not ChunkFrame chunk)
        {
            JsonSerializer.Serialize(writer, frame, ProtocolJsonContext.Default.ServerFrame);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString(TypeProperty, ChunkType);
        writer.WriteString(ConversationIdProperty, chunk.ConversationId);
        writer.WriteString(MessageIdProperty, chunk.MessageId);
        writer.WriteNumber(SeqProperty, chunk.Seq);
        writer.WriteString(ContentProperty, chunk.Content);
        writer.WriteEndObject();
    }
}

using System.Text.Json;

namespace AspireChat.ChatApi.Protocol;

/// <summary>
/// The ids at the start of a frame too large to read: a client that writes <c>id</c> and <c>conversationId</c> before
/// <c>content</c> (the page does) then learns which of its messages was refused (<c>replyTo</c>), so nothing it sent
/// waits for an answer that never comes.
/// </summary>
public static class ClientFramePrefix
{
    /// <summary>The top-level string <c>id</c> and <c>conversationId</c> found before the prefix ends or turns out not to be JSON.</summary>
    public static (string? Id, string? ConversationId) ReadIds(ReadOnlySpan<byte> prefix)
    {
        string? id = null;
        string? conversationId = null;
        var reader = new Utf8JsonReader(prefix, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return (null, null);
            }

            // Each property whole or not at all: a value cut by the prefix's end stops the reading (Read or TrySkip false).
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                var isConversationId = !isId && reader.ValueTextEquals("conversationId"u8);
                if (!reader.Read())
                {
                    break;
                }

                if (reader.TokenType == JsonTokenType.String && (isId || isConversationId))
                {
                    (isId ? ref id : ref conversationId) = reader.GetString();
                }
                else if (!reader.TrySkip())
                {
                    break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON past some point: what was read before it stands.
        }

        return (id, conversationId);
    }
}

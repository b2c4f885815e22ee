using System.Text.Json;

namespace AspireChat.ChatApi.Protocol;

/// <summary>A frame the client sends. Which fields matter depends on <see cref="Type"/>.</summary>
public sealed record ClientFrame(string? Type, string? Content, string? ConversationId, string? Id, string? Traceparent, string? MessageId = null, long? LastSeq = null, string? ParentId = null, int? Index = null)
{
    public const string MessageType = "message";
    public const string StopType = "stop";
    public const string ResumeType = "resume";
    public const string RegenerateType = "regenerate";
    public const string EditType = "edit";
    public const string SwitchType = "switch";

    /// <summary>Longest client message id the server keeps.</summary>
    public const int MaxIdLength = 128;

    /// <summary>
    /// Reads one frame. Returns the frame, or an error frame that says exactly what is wrong with it.
    /// </summary>
    public static (ClientFrame? Frame, ErrorFrame? Error) Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            if (!JsonDocument.TryParseValue(ref reader, out var parsed) || parsed.RootElement.ValueKind != JsonValueKind.Object || reader.Read())
            {
                parsed?.Dispose();
                return (null, new ErrorFrame(ErrorCodes.InvalidJson, "A frame must be one JSON object."));
            }

            document = parsed;
        }
        catch (JsonException)
        {
            return (null, new ErrorFrame(ErrorCodes.InvalidJson, "The frame is not valid JSON."));
        }

        using (document)
        {
            ClientFrame? frame;
            try
            {
                frame = document.RootElement.Deserialize(ProtocolJsonContext.Default.ClientFrame);
            }
            catch (JsonException exception)
            {
                return (null, new ErrorFrame(ErrorCodes.InvalidFrame, $"A field has the wrong type ({exception.Path})."));
            }

            return frame?.Validate() is { } error ? (null, error) : (frame, null);
        }
    }

    private ErrorFrame? Validate()
    {
        if (string.IsNullOrEmpty(Type))
        {
            return new ErrorFrame(ErrorCodes.InvalidFrame, "The frame has no \"type\".");
        }

        if (Id is { Length: > MaxIdLength })
        {
            return new ErrorFrame(ErrorCodes.InvalidFrame, $"\"id\" is longer than {MaxIdLength} characters.");
        }

        return Type switch
        {
            MessageType when string.IsNullOrWhiteSpace(Content) =>
                new ErrorFrame(ErrorCodes.EmptyContent, "A message needs non-empty \"content\".") { ConversationId = ConversationId, ReplyTo = Id },
            StopType when string.IsNullOrEmpty(ConversationId) =>
                new ErrorFrame(ErrorCodes.InvalidFrame, "\"stop\" needs a \"conversationId\"."),
            ResumeType when string.IsNullOrEmpty(ConversationId) =>
                new ErrorFrame(ErrorCodes.InvalidFrame, "\"resume\" needs a \"conversationId\"."),
            ResumeType when LastSeq < 0 || (LastSeq is not null && MessageId is null) =>
                new ErrorFrame(ErrorCodes.InvalidSeq, "\"lastSeq\" must be 0 or more, and comes with a \"messageId\".") { ConversationId = ConversationId, MessageId = MessageId },
            RegenerateType or EditType or SwitchType when string.IsNullOrEmpty(ConversationId) =>
                new ErrorFrame(ErrorCodes.InvalidFrame, $"\"{Type}\" needs a \"conversationId\".") { ReplyTo = Id },
            RegenerateType or EditType when string.IsNullOrEmpty(MessageId) =>
                new ErrorFrame(ErrorCodes.InvalidFrame, $"\"{Type}\" needs the \"messageId\" of the message to {(Type == EditType ? "edit" : "answer again")}.") { ConversationId = ConversationId, ReplyTo = Id },
            EditType when string.IsNullOrWhiteSpace(Content) =>
                new ErrorFrame(ErrorCodes.EmptyContent, "An edit needs non-empty \"content\".") { ConversationId = ConversationId, MessageId = MessageId, ReplyTo = Id },
            SwitchType when MessageId is null && Index is null =>
                new ErrorFrame(ErrorCodes.InvalidFrame, "\"switch\" needs a \"messageId\", or an \"index\" (with the \"parentId\" of the siblings).") { ConversationId = ConversationId },
            SwitchType when Index < 1 =>
                new ErrorFrame(ErrorCodes.InvalidIndex, "\"index\" counts siblings from 1.") { ConversationId = ConversationId, MessageId = ParentId },
            MessageType or StopType or ResumeType or RegenerateType or EditType or SwitchType => null,
            _ => new ErrorFrame(ErrorCodes.UnknownType, $"Unknown frame type \"{Truncate(Type, 40)}\"; expected \"message\", \"stop\", \"resume\", \"regenerate\", \"edit\" or \"switch\"."),
        };
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length] + "…";
}

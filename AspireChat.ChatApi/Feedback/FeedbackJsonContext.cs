using System.Text.Json;
using System.Text.Json.Serialization;
using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Feedback;

/// <summary>
/// A rating as the message list stores it (the options of Conversations/RedisConversationJsonContext, so the
/// spliced JSON is the same as a serialized message's) and the API's request.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MessageFeedback))]
[JsonSerializable(typeof(FeedbackRequest))]
public sealed partial class FeedbackJsonContext : JsonSerializerContext;

/// <summary>The body of <c>PUT /api/conversations/{id}/messages/{messageId}/feedback</c>.</summary>
public sealed record FeedbackRequest(string? Rating, string? Comment);

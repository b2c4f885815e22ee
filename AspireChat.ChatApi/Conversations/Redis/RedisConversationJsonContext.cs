using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireChat.ChatApi.Conversations.Redis;

/// <summary>How a message is stored in Redis: one camelCase JSON object per list element.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConversationMessage))]
internal sealed partial class RedisConversationJsonContext : JsonSerializerContext;

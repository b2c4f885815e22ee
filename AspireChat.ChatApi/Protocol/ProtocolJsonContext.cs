using System.Text.Json;
using System.Text.Json.Serialization;
using AspireChat.ChatApi.Conversations;

namespace AspireChat.ChatApi.Protocol;

/// <summary>Source-generated JSON for everything on the wire: camelCase, nulls left out.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ClientFrame))]
[JsonSerializable(typeof(ServerFrame))]
[JsonSerializable(typeof(ChatRequest))]
[JsonSerializable(typeof(ConversationSummary))]
[JsonSerializable(typeof(IReadOnlyList<ConversationSummary>))]
[JsonSerializable(typeof(Conversation))]
[JsonSerializable(typeof(RenameRequest))]
[JsonSerializable(typeof(RenamedConversation))]
[JsonSerializable(typeof(ConversationExport))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;

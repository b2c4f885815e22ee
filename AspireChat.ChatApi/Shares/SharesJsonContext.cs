using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireChat.ChatApi.Shares;

/// <summary>Shares on the wire and in the store: camelCase, nulls left out, as the rest of the API.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SharedConversation))]
[JsonSerializable(typeof(ShareListing))]
[JsonSerializable(typeof(ShareCreated))]
[JsonSerializable(typeof(IReadOnlyList<ShareSummary>))]
[JsonSerializable(typeof(CopiedConversation))]
public sealed partial class SharesJsonContext : JsonSerializerContext;

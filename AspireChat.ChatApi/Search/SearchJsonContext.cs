using System.Text.Json;
using System.Text.Json.Serialization;

namespace AspireChat.ChatApi.Search;

/// <summary>Search on the wire: camelCase, nulls left out (a title's result has no message id).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SearchResponse))]
public sealed partial class SearchJsonContext : JsonSerializerContext;
